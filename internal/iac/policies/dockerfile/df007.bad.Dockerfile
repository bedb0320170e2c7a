FROM debian:12
# expect: DF007
RUN apt-get update && apt-get install -y curl=7.88.1-10 \
    && rm -rf /var/lib/apt/lists/*
# xx-apt-get (tonistiigi/xx, cross-compilation) passes its arguments to apt-get
# expect: DF007
RUN xx-apt-get install -y gcc=4:12.2.0-3
