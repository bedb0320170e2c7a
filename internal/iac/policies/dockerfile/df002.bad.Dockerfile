FROM debian:12
RUN useradd app
USER app
RUN echo hi
# expect: DF002
USER root
