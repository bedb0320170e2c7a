REGISTRATION_TOKEN=GR1348941xxxxxxxxxxxxxxxxxxxx
registration tokens begin with GR1348941 (then 20 characters), e.g. GR1348941Jau63Vjy (cut)
gitlab-runner register --registration-token GR1348941<token>
REGISTRATION_TOKEN=$RUNNER_REGISTRATION_TOKEN
