# METADATA
# title: Secret in ENV
# description: >-
#   An ENV instruction sets a variable whose name says it holds a credential
#   to a value written in the Dockerfile: it is stored in the image's
#   configuration and visible to anyone who can pull the image.
# related_resources:
# - https://docs.docker.com/build/building/secrets/
# custom:
#   id: DF005
#   severity: high
#   remediation: >-
#     Pass secrets at run time (orchestrator secrets, mounted files) or at
#     build time with RUN --mount=type=secret; never bake them into ENV.
#   benchmark:
#   - "CIS Docker 4.10"
package airlock.dockerfile.df005

import data.lib.dockerfile

deny contains res if {
	some i, j
	c := input.stages[i].commands[j]
	c.cmd == "env"
	some k in numbers.range(0, count(c.value) - 1)
	k % 2 == 0
	name := c.value[k]
	dockerfile.secret_name(name)
	not regex.match(`(?i)(_FILE|_PATH|_DIR|_URL|_HOST|_PORT|_USER|_NAME)$`, name)
	dockerfile.literal(c.value[k + 1])
	res := {"msg": sprintf("ENV sets %s to a literal value", [name]), "path": ["stages", i, "commands", j], "attribute": name, "expected": "a secret passed at run time"}
}
