FROM alpine:3.20
ADD rootfs.tar.gz /
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d "https://github.com/opencontainers/runc.git#v1.2.0" /src/runc
COPY app.py /srv/app.py
