FROM alpine:3.20
# expect: DF018
RUN mkdir /data && chmod -R 777 /data
# expect: DF018
RUN chmod o+w /etc/app.conf
