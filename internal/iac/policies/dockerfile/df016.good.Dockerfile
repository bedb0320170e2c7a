FROM alpine:3.20 AS a
CMD ["echo", "one"]
FROM alpine:3.20
CMD ["echo", "two"]
