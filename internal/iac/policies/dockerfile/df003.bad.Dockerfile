FROM alpine:3.20
# expect: DF003
ADD https://example.com/tool.tar.gz /opt/
