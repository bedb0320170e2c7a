# expect: DF010
FROM ubuntu:latest
