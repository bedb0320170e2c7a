# METADATA
# title: Image has no USER and runs as root
# description: >-
#   The final stage never sets USER, so the container's processes run as root
#   unless the runtime says otherwise. A process that breaks out of the
#   application then has root inside the container.
# related_resources:
# - https://docs.docker.com/build/building/best-practices/#user
# custom:
#   id: DF001
#   severity: high
#   remediation: >-
#     Add a USER instruction with a non-root user (USER 10001) to the final
#     stage, after the steps that need root.
#   benchmark:
#   - "CIS Docker 4.1"
package airlock.dockerfile.df001

import data.lib.dockerfile

deny contains res if {
	i := dockerfile.final
	i >= 0
	not input.stages[i].from.image == "scratch"
	not has_user(input.stages[i])
	res := {"msg": "The final stage has no USER instruction: the container runs as root", "path": ["stages", i], "attribute": "USER", "expected": "a non-root user"}
}

has_user(stage) if {
	some c in stage.commands
	c.cmd == "user"
}
