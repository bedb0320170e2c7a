FROM debian:12
# expect: DF015
EXPOSE 80 22/tcp
