# METADATA
# title: Shell tracing in a job that uses secrets
# description: >-
#   A script turns on shell tracing (set -x, set -o xtrace) in a job whose
#   scripts expand credential variables: each command is echoed with its
#   variables expanded, secrets included, into the job log.
# custom:
#   id: GLCI009
#   severity: medium
#   remediation: >-
#     Drop set -x, or turn it off (set +x) around the commands that use
#     secrets.
package airlock.gitlabci.glci009

import data.lib.gitlabci as ci

deny contains res if {
	some s in ci.scripts
	s.job != ""
	regex.match(`(^|[;&]\s*)set\s+(-[a-wyzA-Z]*x[a-zA-Z]*|-o\s+xtrace)\b`, s.line)
	refs := {r | some t in ci.scripts; t.job == s.job; some r in ci.secret_refs(t.line)}
	count(refs) > 0
	res := {"msg": sprintf("job %s traces commands that expand %s", [s.job, concat(", ", sort(refs))]), "path": s.path, "attribute": "script", "expected": "no tracing around secrets", "actual": s.line}
}
