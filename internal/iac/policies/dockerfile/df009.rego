# METADATA
# title: No HEALTHCHECK
# description: >-
#   The image does not say how to check that its service is healthy, so an
#   orchestrator without its own probe cannot tell a hung container from a
#   working one.
# related_resources:
# - https://docs.docker.com/reference/dockerfile/#healthcheck
# custom:
#   id: DF009
#   severity: low
#   remediation: >-
#     Add HEALTHCHECK CMD with a cheap check of the service (or HEALTHCHECK
#     NONE to say there is none on purpose).
#   benchmark:
#   - "CIS Docker 4.6"
package airlock.dockerfile.df009

import data.lib.dockerfile

deny contains res if {
	i := dockerfile.final
	i >= 0
	not has_healthcheck(input.stages[i])
	res := {"msg": "The final stage has no HEALTHCHECK", "path": ["stages", i], "attribute": "HEALTHCHECK", "expected": "HEALTHCHECK CMD ..."}
}

has_healthcheck(stage) if {
	some c in stage.commands
	c.cmd == "healthcheck"
}
