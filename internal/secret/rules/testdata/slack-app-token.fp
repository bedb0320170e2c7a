SLACK_APP_TOKEN=xapp-1-A0000000000-0000000000000-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
Socket Mode needs an app-level token (xapp-) with connections:write.
xapp-1-ARVHWBSCYFU-7408721927078 (cut)
