# METADATA
# title: Remote script piped to a shell
# description: >-
#   A RUN downloads a script and runs it at once (curl ... | sh): whatever the
#   server returns that day runs in the build, unverified.
# related_resources:
# - https://docs.docker.com/build/building/best-practices/#using-pipes
# custom:
#   id: DF012
#   severity: high
#   remediation: >-
#     Download the script to a file, verify its checksum or signature, then
#     run it; or install a package.
package airlock.dockerfile.df012

import data.lib.dockerfile

deny contains res if {
	some r in dockerfile.runs
	regex.match(`(curl|wget)\s[^|;&]*\|\s*(sudo\s+)?(\S*/)?(ba|z|da|k)?sh\b|(ba)?sh\s+-c\s+["']?\$\((curl|wget)|(ba)?sh\s+<\(\s*(curl|wget)`, r.script)
	res := {"msg": "A downloaded script is piped straight into a shell", "path": dockerfile.path(r), "attribute": "RUN", "expected": "a download verified before it runs"}
}
