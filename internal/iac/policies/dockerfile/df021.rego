# METADATA
# title: RUN cd instead of WORKDIR
# description: >-
#   A RUN starts with cd to change directory: the change lasts for that RUN
#   only, which is easy to misread; WORKDIR says it once for the instructions
#   after it.
# related_resources:
# - https://docs.docker.com/build/building/best-practices/#workdir
# custom:
#   id: DF021
#   severity: low
#   remediation: >-
#     Use WORKDIR to change the directory.
package airlock.dockerfile.df021

import data.lib.dockerfile

deny contains res if {
	some r in dockerfile.runs
	cmds := dockerfile.commands(r.script)
	regex.match(`^cd\s+/`, cmds[0])
	res := {"msg": "RUN starts with cd: use WORKDIR", "path": dockerfile.path(r), "attribute": "RUN", "expected": "WORKDIR", "actual": cmds[0]}
}
