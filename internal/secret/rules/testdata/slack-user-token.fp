SLACK_USER_TOKEN=xoxp-xxxxxxxxxxx-xxxxxxxxxxx-xxxxxxxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
xoxp-468556944398-883132662438 (cut)
User tokens (xoxp-) act on behalf of the person who installed the app.
