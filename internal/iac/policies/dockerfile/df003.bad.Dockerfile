FROM alpine:3.20
# expect: DF003
ADD https://example.com/tool.tar.gz /opt/
# expect: DF003
ADD --keep-git-dir=true "https://github.com/opencontainers/runc.git#$RUNC_VERSION" /src/runc
