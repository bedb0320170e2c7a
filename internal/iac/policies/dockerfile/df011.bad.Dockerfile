FROM golang:1.22 AS build
# expect: DF011
FROM registry.example.com:5000/team/base
COPY --from=build /app /app
