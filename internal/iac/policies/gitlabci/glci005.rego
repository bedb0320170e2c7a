# METADATA
# title: Script pipes a download into a shell
# description: >-
#   A script runs what curl or wget downloads (curl ... | sh): whatever the
#   server, or anyone between it and the runner, returns is executed with
#   the job's credentials.
# custom:
#   id: GLCI005
#   severity: high
#   remediation: >-
#     Download to a file, verify its checksum or signature, then run it; or
#     bake the tool into the job's image.
package airlock.gitlabci.glci005

import data.lib.gitlabci as ci

deny contains res if {
	some s in ci.scripts
	regex.match(`(curl|wget)\b[^|;&]*\|\s*(sudo\s+)?(-E\s+)?(ba|z|da|k)?sh\b`, s.line)
	res := {"msg": "a download is piped into a shell", "path": s.path, "attribute": "script", "expected": "a verified download", "actual": s.line}
}
