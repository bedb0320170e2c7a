# METADATA
# title: ADD used to copy local files
# description: >-
#   ADD also unpacks archives and fetches URLs; for plain local files COPY
#   says what happens and nothing more.
# related_resources:
# - https://docs.docker.com/build/building/best-practices/#add-or-copy
# custom:
#   id: DF004
#   severity: low
#   remediation: >-
#     Use COPY for local files and directories; keep ADD for archives that
#     must be unpacked.
package airlock.dockerfile.df004

deny contains res if {
	some i, j
	c := input.stages[i].commands[j]
	c.cmd == "add"
	srcs := array.slice(c.value, 0, count(c.value) - 1)
	count(srcs) > 0
	every s in srcs {
		not regex.match(`^(https?|ftp)://|^git@|\.(tar|tgz|tar\.gz|tar\.bz2|tbz2|tar\.xz|txz|zip|gz|bz2|xz)$`, trim(s, `"'`))
	}
	res := {"msg": "ADD copies local files: use COPY", "path": ["stages", i, "commands", j], "attribute": "ADD", "expected": "COPY", "actual": c.original}
}
