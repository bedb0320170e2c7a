# METADATA
# title: Role can escalate, bind or impersonate
# description: >-
#   The escalate, bind and impersonate verbs let the subject grant itself
#   any permission or act as any user.
# related_resources:
# - https://kubernetes.io/docs/concepts/security/rbac-good-practices/
# custom:
#   id: K8S028
#   severity: high
#   remediation: >-
#     Remove escalate, bind and impersonate from the role's verbs.
#   benchmark:
#   - "CIS Kubernetes 5.1.8"
package airlock.kubernetes.k8s028

import data.lib.kubernetes as k8s

deny contains res if {
	some r in k8s.rules
	some i, v in object.get(r.rule, "verbs", [])
	v in {"escalate", "bind", "impersonate"}
	res := {"msg": sprintf("%s %s may %s", [k8s.kind, k8s.name, v]), "path": array.concat(r.path, ["verbs", i]), "attribute": "rules.verbs", "expected": "no escalate, bind or impersonate", "actual": v}
}
