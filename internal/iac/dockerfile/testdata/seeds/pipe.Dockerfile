FROM debian:12
# expect: DF012
RUN curl -fsSL https://get.example.com/install.sh | sh
# expect: DF012
RUN wget -qO- https://example.com/x.sh | sudo bash -s -- --yes
