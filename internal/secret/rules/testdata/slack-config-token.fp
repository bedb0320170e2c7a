SLACK_CONFIG_TOKEN=xoxe.xoxp-1-xxxxxxxxxxxx
Configuration tokens (xoxe.xoxp-) expire after 12 hours; refresh them with the xoxe- refresh token.
xoxe-1-pbjeQGxTEWGybzjlxO51 (cut)
