# syntax=docker/dockerfile:1
# The airlock image: one static binary on Alpine, which brings the git CLI
# (clones) and the CA certificates that distroless and scratch images lack.
# docs/deploy.md explains the choice and how to build, scan and carry it
# into an offline registry. TestDockerfileBuild (deploy/iac_test.go) runs the build line
# below and airlock's own IaC scan of this file.

FROM golang:1.26.8-alpine3.22 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=devel
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags="-s -w -X main.version=${VERSION}" -o /out/airlock ./cmd/airlock

# airlock:ignore DF009 no HEALTHCHECK on purpose: Kubernetes probes /healthz and /readyz (deploy/helm), systemd watches the process
FROM alpine:3.22
RUN apk add --no-cache git ca-certificates tzdata \
    && addgroup -S -g 10001 airlock \
    && adduser -S -D -H -u 10001 -G airlock -h /var/lib/airlock -s /sbin/nologin airlock \
    && install -d -o 10001 -g 10001 -m 0700 /var/lib/airlock
COPY --from=build /out/airlock /usr/local/bin/airlock
ENV AIRLOCK_DATA_DIR=/var/lib/airlock \
    AIRLOCK_DB=/var/lib/airlock/vulndb.sqlite \
    AIRLOCK_ADDR=:8080
WORKDIR /var/lib/airlock
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/airlock"]
CMD ["serve"]
