FROM alpine:3.20
RUN mkdir /data && chmod 755 /data && chmod u+w /data
