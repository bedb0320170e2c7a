FROM debian:12
RUN apt-get update && apt-get install -y --no-install-recommends -o Dpkg::Options::=--force-confnew curl=7.88.1-10 ./local.deb
RUN xx-apt-get install -y --no-install-recommends gcc=4:12.2.0-3
