FROM alpine:3.20
# expect: DF019
RUN apk update && apk add curl
