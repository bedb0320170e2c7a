# METADATA
# title: sudo in RUN
# description: >-
#   RUN calls sudo: the build already runs as the current USER, and sudo in an
#   image means a user that can become root.
# related_resources:
# - https://docs.docker.com/build/building/best-practices/#user
# custom:
#   id: DF013
#   severity: medium
#   remediation: >-
#     Switch with USER root for the steps that need it and back to the
#     unprivileged user; do not install or use sudo.
package airlock.dockerfile.df013

import data.lib.dockerfile

deny contains res if {
	some r in dockerfile.runs
	some cmd in dockerfile.commands(r.script)
	regex.match(`^sudo(\s|$)`, cmd)
	res := {"msg": "RUN uses sudo", "path": dockerfile.path(r), "attribute": "RUN", "expected": "USER root for the steps that need it", "actual": cmd}
}
