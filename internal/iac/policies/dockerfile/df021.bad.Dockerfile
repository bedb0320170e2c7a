FROM alpine:3.20
# expect: DF021
RUN cd /usr/src/app && make
