# METADATA
# title: Secret in environment
# description: >-
#   A variable whose name says it holds a credential is given a literal value
#   in the Compose file: it is in the repository and in docker inspect.
# related_resources:
# - https://docs.docker.com/compose/how-tos/use-secrets/
# custom:
#   id: DC008
#   severity: high
#   remediation: >-
#     Use Compose secrets (secrets: with a file or external source), or
#     interpolate from the environment: DB_PASSWORD: ${DB_PASSWORD}.
#   benchmark:
#   - "CIS Docker 4.10"
package airlock.compose.dc008

import data.lib.compose

deny contains res if {
	some name, svc in compose.services
	env := compose.environment(svc)
	some k, v in env
	compose.secret_name(k)
	not regex.match(`(?i)(_FILE|_PATH|_DIR|_URL|_HOST|_PORT|_USER|_NAME)$`, k)
	compose.literal(v)
	res := {"msg": sprintf("service %s sets %s to a literal value", [name, k]), "path": ["services", name, "environment", where(svc, k)], "attribute": sprintf("environment.%s", [k]), "expected": "a secret or ${VARIABLE}"}
}

where(svc, k) := k if is_object(svc.environment)

where(svc, k) := i if {
	is_array(svc.environment)
	some i, e in svc.environment
	startswith(e, sprintf("%s=", [k]))
}
