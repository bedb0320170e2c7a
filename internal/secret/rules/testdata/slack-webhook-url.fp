SLACK_WEBHOOK_URL=https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX
Post to https://hooks.slack.com/services/ followed by the path Slack shows you.
https://hooks.slack.com/services/TXFOOUOSNWE/BEEYSRGFLTR/
https://hooks.slack.com/services/T00000000/B00000000/<secret>
