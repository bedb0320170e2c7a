ARG BASE=alpine:3.20
FROM golang:1.22 AS build
FROM ${BASE}
FROM build
FROM scratch
FROM scratch AS binaries-linux
FROM binaries-$TARGETOS
