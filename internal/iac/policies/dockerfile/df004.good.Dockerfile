FROM alpine:3.20
ADD rootfs.tar.gz /
COPY app.py /srv/app.py
