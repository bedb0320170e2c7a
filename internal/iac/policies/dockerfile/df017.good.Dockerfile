FROM alpine:3.20
WORKDIR /app
WORKDIR ${HOME}/src
