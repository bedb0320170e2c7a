FROM debian:12
USER root
RUN apt-get update
USER 10001:10001
