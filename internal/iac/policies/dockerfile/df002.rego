# METADATA
# title: Image runs as root
# description: >-
#   The last USER instruction of the final stage switches to root (or UID 0),
#   so the container's processes run as root.
# related_resources:
# - https://docs.docker.com/build/building/best-practices/#user
# custom:
#   id: DF002
#   severity: high
#   remediation: >-
#     End the final stage with USER and a non-root user (USER 10001); switch
#     to root only for the steps that need it, then back.
#   benchmark:
#   - "CIS Docker 4.1"
package airlock.dockerfile.df002

import data.lib.dockerfile

deny contains res if {
	i := dockerfile.final
	cmds := input.stages[i].commands
	users := [j | some j; cmds[j].cmd == "user"]
	count(users) > 0
	j := users[count(users) - 1]
	u := split(regex.split(`\s+`, trim_space(cmds[j].value[0]))[0], ":")[0]
	u in {"root", "0"}
	res := {"msg": sprintf("The final stage runs as %s", [u]), "path": ["stages", i, "commands", j], "attribute": "USER", "expected": "a non-root user", "actual": u}
}
