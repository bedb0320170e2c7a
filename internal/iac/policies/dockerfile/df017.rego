# METADATA
# title: WORKDIR is a relative path
# description: >-
#   A relative WORKDIR depends on every WORKDIR before it, including the base
#   image's: the directory the instructions run in is hard to know.
# related_resources:
# - https://docs.docker.com/build/building/best-practices/#workdir
# custom:
#   id: DF017
#   severity: medium
#   remediation: >-
#     Give WORKDIR an absolute path (WORKDIR /app).
package airlock.dockerfile.df017

deny contains res if {
	some i, j
	c := input.stages[i].commands[j]
	c.cmd == "workdir"
	d := trim(c.value[0], `"'`)
	not startswith(d, "/")
	not startswith(d, "$")
	not regex.match(`^[A-Za-z]:[\\/]`, d)
	res := {"msg": sprintf("WORKDIR %s is relative", [d]), "path": ["stages", i, "commands", j], "attribute": "WORKDIR", "expected": "an absolute path", "actual": d}
}
