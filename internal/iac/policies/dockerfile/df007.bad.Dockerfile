FROM debian:12
# expect: DF007
RUN apt-get update && apt-get install -y curl=7.88.1-10 \
    && rm -rf /var/lib/apt/lists/*
