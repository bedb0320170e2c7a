FROM alpine:3.20
# expect: DF004
ADD app.py /srv/app.py
