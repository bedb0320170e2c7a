# METADATA
# title: More than one CMD or ENTRYPOINT in a stage
# description: >-
#   Only the last CMD and the last ENTRYPOINT of a stage take effect: the
#   earlier ones are dead code that misleads the reader.
# related_resources:
# - https://docs.docker.com/reference/dockerfile/#cmd
# custom:
#   id: DF016
#   severity: low
#   remediation: >-
#     Keep one CMD and one ENTRYPOINT per stage.
package airlock.dockerfile.df016

deny contains res if {
	some i
	some kind in {"cmd", "entrypoint"}
	cmds := input.stages[i].commands
	at := [j | some j; cmds[j].cmd == kind]
	count(at) > 1
	some j in array.slice(at, 0, count(at) - 1)
	res := {"msg": sprintf("%s is overridden by a later %s in the same stage", [upper(kind), upper(kind)]), "path": ["stages", i, "commands", j], "attribute": upper(kind), "expected": sprintf("one %s per stage", [upper(kind)])}
}
