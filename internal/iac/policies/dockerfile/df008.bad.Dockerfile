FROM debian:12
# expect: DF008
RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates=20230311
# expect: DF008
RUN xx-apt-get install -y --no-install-recommends gcc
