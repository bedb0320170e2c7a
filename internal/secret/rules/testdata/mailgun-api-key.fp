MAILGUN_API_KEY=key-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
MAILGUN_DOMAIN=mg.acme.io
mailgun message id 49c30f6071a53a608b0e
MAILGUN_API_KEY=${MAILGUN_API_KEY}
