# METADATA
# title: apt-get update alone
# description: >-
#   apt-get update runs in a RUN without an install: the layer cache keeps the
#   old package lists, and a later install gets stale versions.
# related_resources:
# - https://docs.docker.com/build/building/best-practices/#apt-get
# custom:
#   id: DF014
#   severity: medium
#   remediation: >-
#     Run apt-get update and apt-get install in the same RUN instruction.
package airlock.dockerfile.df014

import data.lib.dockerfile

deny contains res if {
	some r in dockerfile.runs
	cmds := dockerfile.commands(r.script)
	some cmd in cmds
	regex.match(`^(sudo\s+)?apt-get\s+(.*\s)?update(\s|$)`, cmd)
	not installs(cmds)
	res := {"msg": "apt-get update without an install in the same RUN", "path": dockerfile.path(r), "attribute": "RUN", "expected": "apt-get update && apt-get install ... in one RUN"}
}

installs(cmds) if {
	some c in cmds
	regex.match(`apt-get\s+(.*\s)?(install|upgrade|dist-upgrade)(\s|$)`, c)
}
