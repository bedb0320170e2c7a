# METADATA
# title: Token or private key in the CI configuration
# description: >-
#   A variable's value has the shape of a well-known credential (a GitLab
#   personal, deploy or runner token, an AWS access key id, a GitHub or
#   Slack token, a private key) whatever its name: it is readable by
#   everyone who can read the repository.
# custom:
#   id: GLCI002
#   severity: critical
#   remediation: >-
#     Revoke the credential, remove it from the file and its history, and
#     give it to jobs as a masked, protected CI/CD variable.
package airlock.gitlabci.glci002

import data.lib.gitlabci as ci

patterns := [
	`glpat-[0-9A-Za-z_-]{20,}`,
	`gldt-[0-9A-Za-z_-]{20,}`,
	`glrt-[0-9A-Za-z_-]{20,}`,
	`(AKIA|ASIA)[0-9A-Z]{16}`,
	`gh[pousr]_[A-Za-z0-9]{36}`,
	`github_pat_[A-Za-z0-9_]{50,}`,
	`xox[abpr]-[0-9A-Za-z-]{10,}`,
	`-----BEGIN [A-Z ]*PRIVATE KEY-----`,
]

deny contains res if {
	some x in ci.variables
	some name, v in x.vars
	s := ci.value(v)
	some p in patterns
	regex.match(p, s)
	res := {"msg": sprintf("variable %s holds a credential", [name]), "path": array.concat(x.path, [name]), "attribute": name, "expected": "a masked CI/CD variable", "actual": "a credential"}
}
