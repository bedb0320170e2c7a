ARG NPM_TOKEN
FROM node:20-alpine
ARG VERSION=1.2.3
RUN --mount=type=secret,id=npm npm ci
