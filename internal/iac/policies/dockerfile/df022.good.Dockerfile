FROM debian:12
RUN curl -fsSL https://example.com/a.tgz -o /tmp/a.tgz
RUN wget -q https://example.com/b.tgz
