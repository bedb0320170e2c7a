# METADATA
# title: Role can exec into pods
# description: >-
#   create on pods/exec (or pods/attach) runs commands in any pod the role
#   reaches, with that pod's service account and secrets.
# related_resources:
# - https://kubernetes.io/docs/concepts/security/rbac-good-practices/
# custom:
#   id: K8S027
#   severity: high
#   remediation: >-
#     Remove pods/exec and pods/attach from the role.
package airlock.kubernetes.k8s027

import data.lib.kubernetes as k8s

deny contains res if {
	some r in k8s.rules
	some sub in object.get(r.rule, "resources", [])
	sub in {"pods/exec", "pods/attach"}
	some v in object.get(r.rule, "verbs", [])
	v in {"create", "*"}
	res := {"msg": sprintf("%s %s may %s %s", [k8s.kind, k8s.name, v, sub]), "path": array.concat(r.path, ["resources"]), "attribute": "rules.resources", "expected": "no pods/exec or pods/attach", "actual": sub}
}
