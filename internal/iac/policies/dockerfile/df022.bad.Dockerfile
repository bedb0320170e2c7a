FROM debian:12
# expect: DF022
RUN curl -fsSLk https://example.com/a.tgz -o /tmp/a.tgz
# expect: DF022
RUN pip install --trusted-host pypi.example.com flask==3.0.0
