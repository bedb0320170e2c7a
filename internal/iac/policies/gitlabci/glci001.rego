# METADATA
# title: Secret written in CI variables
# description: >-
#   A variable whose name says it is a credential (password, secret, token,
#   key, auth) has a literal value in the CI configuration: everyone who can
#   read the repository can read it, and it is not masked in job logs.
# related_resources:
# - https://docs.gitlab.com/ci/variables/
# custom:
#   id: GLCI001
#   severity: high
#   remediation: >-
#     Remove the value from the file and define the variable as a masked
#     (and protected) CI/CD variable in the project or group settings, or
#     read it from an external secret manager (secrets:).
package airlock.gitlabci.glci001

import data.lib.gitlabci as ci

deny contains res if {
	some x in ci.variables
	some name, v in x.vars
	ci.secret_name(name)
	s := ci.value(v)
	count(s) >= 8
	not contains(s, "$")
	not placeholder(s)
	path := array.concat(x.path, [name])
	res := {"msg": sprintf("variable %s holds a literal secret", [name]), "path": path, "attribute": name, "expected": "a masked CI/CD variable", "actual": "a literal value"}
}

# placeholder: values that are not secrets though the name says so:
# booleans, file names and paths, URLs without credentials, sentences.
placeholder(s) if regex.match(`^(true|false|none|null|changeme|[-_./:a-z0-9]*\.(ya?ml|json|pem|pub|txt|key))$`, lower(s))

placeholder(s) if regex.match(`^(/|\./|~/)`, s)

placeholder(s) if regex.match(`^[a-z][a-z0-9+.-]*://[^@/]+(/|$)`, s)

placeholder(s) if regex.match(`\s`, s)
