HEROKU_API_KEY=HRKU-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
HRKU-JD2ZnuYylVDc (cut)
Heroku API keys now start with HRKU-.
