FROM alpine:3.20
# expect: DF017
WORKDIR app
