FROM debian:12
# expect: DF014
RUN apt-get update
RUN apt-get install -y --no-install-recommends curl=7.88.1-10
