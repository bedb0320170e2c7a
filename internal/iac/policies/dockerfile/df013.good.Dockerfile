FROM debian:12
USER root
RUN apt-get update && echo "sudo is not used here"
USER app
