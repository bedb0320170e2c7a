SENDGRID_API_KEY=SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
keys look like SG.QBqSpx3_KSKwmyUbrA7scF followed by more (cut)
SENDGRID_API_KEY=SG.<key-id>.<secret>
