npm_config_cache=/tmp/.npm
npm_lifecycle_event=build
//registry.npmjs.org/:_authToken=${NPM_TOKEN}
NPM_TOKEN=npm_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
npm_ZUmVzlWwOVta (cut)
