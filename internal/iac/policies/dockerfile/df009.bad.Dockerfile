FROM golang:1.22 AS build
HEALTHCHECK NONE
# expect: DF009
FROM nginx:1.27
USER nginx
