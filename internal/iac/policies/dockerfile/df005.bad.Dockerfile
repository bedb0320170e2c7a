FROM node:20-alpine
ENV NODE_ENV=production
# expect: DF005
ENV DB_PASSWORD=hunter2
# expect: DF005
ENV API_TOKEN abcdef123456
