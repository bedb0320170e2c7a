# METADATA
# title: Secret in ARG default
# description: >-
#   An ARG whose name says it holds a credential has a default value in the
#   Dockerfile: build arguments are recorded in the image history.
# related_resources:
# - https://docs.docker.com/build/building/secrets/
# custom:
#   id: DF006
#   severity: high
#   remediation: >-
#     Use RUN --mount=type=secret for build-time secrets; build arguments
#     are not secret.
#   benchmark:
#   - "CIS Docker 4.10"
package airlock.dockerfile.df006

import data.lib.dockerfile

deny contains res if {
	some path, c
	walk(input, [path, c])
	is_object(c)
	c.cmd == "arg"
	some kv in c.value
	parts := split(kv, "=")
	count(parts) > 1
	name := parts[0]
	dockerfile.secret_name(name)
	dockerfile.literal(trim(concat("=", array.slice(parts, 1, count(parts))), `"'`))
	res := {"msg": sprintf("ARG %s has a secret default value", [name]), "path": path, "attribute": name, "expected": "no default; a secret mount"}
}
