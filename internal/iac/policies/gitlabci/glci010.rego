# METADATA
# title: Password given to docker login on the command line
# description: >-
#   docker login -p (or --password) puts the password on the command line,
#   where the process list, shell tracing and the job log can show it.
# custom:
#   id: GLCI010
#   severity: medium
#   remediation: >-
#     Pipe it in: echo "$CI_REGISTRY_PASSWORD" | docker login -u
#     "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY".
package airlock.gitlabci.glci010

import data.lib.gitlabci as ci

deny contains res if {
	some s in ci.scripts
	regex.match(`docker\s+login\b.*\s(-p|--password)(\s|=)`, s.line)
	res := {"msg": "docker login takes the password as an argument", "path": s.path, "attribute": "script", "expected": "--password-stdin", "actual": s.line}
}
