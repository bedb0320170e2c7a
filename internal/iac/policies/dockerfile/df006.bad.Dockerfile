# expect: DF006
ARG NPM_TOKEN=npm_abcdefghijklmnop
FROM node:20-alpine
# expect: DF006
ARG GITHUB_TOKEN="ghp_123456789"
