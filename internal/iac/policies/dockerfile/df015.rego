# METADATA
# title: SSH port exposed
# description: >-
#   The image exposes port 22: running an SSH server in a container widens its
#   attack surface; use docker exec or kubectl exec to get in.
# related_resources:
# - https://docs.docker.com/reference/dockerfile/#expose
# custom:
#   id: DF015
#   severity: medium
#   remediation: >-
#     Remove EXPOSE 22 and the SSH server.
#   benchmark:
#   - "CIS Docker 4.8"
package airlock.dockerfile.df015

deny contains res if {
	some i, j
	c := input.stages[i].commands[j]
	c.cmd == "expose"
	some p in c.value
	split(p, "/")[0] == "22"
	res := {"msg": "EXPOSE 22: an SSH port", "path": ["stages", i, "commands", j], "attribute": "EXPOSE", "expected": "no SSH port", "actual": p}
}
