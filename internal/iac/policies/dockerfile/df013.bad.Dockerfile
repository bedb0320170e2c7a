FROM debian:12
USER app
# expect: DF013
RUN sudo apt-get update
