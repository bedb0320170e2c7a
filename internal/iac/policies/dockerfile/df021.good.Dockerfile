FROM alpine:3.20
WORKDIR /usr/src/app
RUN make && cd build && make install
