SLACK_BOT_TOKEN=xoxb-xxxxxxxxxxxx-xxxxxxxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx
Bot tokens start with xoxb-, user tokens with xoxp-.
xoxb-973757136205-3151381969635-ymaU7UGjYO (cut)
SLACK_BOT_TOKEN=xoxb-your-bot-token
