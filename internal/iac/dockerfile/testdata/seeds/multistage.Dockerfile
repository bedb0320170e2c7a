ARG BASE=alpine:3.20
FROM --platform=$BUILDPLATFORM ${BASE} AS build
RUN <<EOF
set -e
echo hi
EOF
FROM scratch
COPY --from=build /a /a
USER 10001
