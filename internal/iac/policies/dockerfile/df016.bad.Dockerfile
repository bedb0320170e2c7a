FROM alpine:3.20
# expect: DF016
CMD ["echo", "one"]
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["echo", "two"]
