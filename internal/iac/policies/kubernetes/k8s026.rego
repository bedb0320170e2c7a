# METADATA
# title: Role reads Secrets
# description: >-
#   get, list or watch on secrets reads every credential of the namespace
#   (or of the cluster, for a ClusterRole).
# related_resources:
# - https://kubernetes.io/docs/concepts/security/rbac-good-practices/
# custom:
#   id: K8S026
#   severity: medium
#   remediation: >-
#     Grant access to named secrets (resourceNames) only, or none.
#   benchmark:
#   - "CIS Kubernetes 5.1.2"
package airlock.kubernetes.k8s026

import data.lib.kubernetes as k8s

deny contains res if {
	some r in k8s.rules
	"secrets" in object.get(r.rule, "resources", [])
	some v in object.get(r.rule, "verbs", [])
	v in {"get", "list", "watch"}
	count(object.get(r.rule, "resourceNames", [])) == 0
	res := {"msg": sprintf("%s %s may %s secrets", [k8s.kind, k8s.name, v]), "path": array.concat(r.path, ["resources"]), "attribute": "rules.resources", "expected": "no secrets, or named ones", "actual": "secrets"}
}
