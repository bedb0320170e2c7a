# METADATA
# title: Script prints a secret variable
# description: >-
#   A script echoes or prints a variable whose name says it is a credential:
#   the value lands in the job log, which masking does not always cover
#   (masked variables must meet format rules; a transformed value is not
#   masked).
# custom:
#   id: GLCI007
#   severity: medium
#   remediation: >-
#     Do not print secrets; pass them to the tool that needs them through a
#     file or standard input (docker login --password-stdin).
package airlock.gitlabci.glci007

import data.lib.gitlabci as ci

deny contains res if {
	some s in ci.scripts
	some cmd in regex.split(`&&|\|\||;`, s.line)
	regex.match(`^\s*(echo|printf|print)\b`, cmd)
	not contains(cmd, "|")
	not contains(cmd, ">")
	refs := ci.secret_refs(cmd)
	count(refs) > 0
	res := {"msg": sprintf("prints %s", [concat(", ", sort(refs))]), "path": s.path, "attribute": "script", "expected": "secrets not printed", "actual": trim_space(cmd)}
}
