# METADATA
# title: Role grants every verb or resource
# description: >-
#   A wildcard in verbs or resources grants everything, including what
#   later versions add.
# related_resources:
# - https://kubernetes.io/docs/concepts/security/rbac-good-practices/
# custom:
#   id: K8S025
#   severity: high
#   remediation: >-
#     List the verbs and resources the subject needs.
#   benchmark:
#   - "CIS Kubernetes 5.1.3"
package airlock.kubernetes.k8s025

import data.lib.kubernetes as k8s

deny contains res if {
	some r in k8s.rules
	some field in ["verbs", "resources", "apiGroups"]
	some i, v in object.get(r.rule, field, [])
	v == "*"
	res := {"msg": sprintf("%s %s: rule %d grants %s \"*\"", [k8s.kind, k8s.name, r.path[1], field]), "path": array.concat(r.path, [field, i]), "attribute": sprintf("rules.%s", [field]), "expected": sprintf("the %s needed", [field]), "actual": "*"}
}
