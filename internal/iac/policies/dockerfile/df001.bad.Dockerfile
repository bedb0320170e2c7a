FROM golang:1.22 AS build
USER nobody
RUN go build ./...
# expect: DF001
FROM alpine:3.20
COPY --from=build /app /app
