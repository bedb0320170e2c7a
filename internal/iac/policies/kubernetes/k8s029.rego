# METADATA
# title: Binding grants cluster-admin
# description: >-
#   cluster-admin is every permission on every resource of the cluster.
# related_resources:
# - https://kubernetes.io/docs/concepts/security/rbac-good-practices/
# custom:
#   id: K8S029
#   severity: high
#   remediation: >-
#     Bind a role with the permissions the subject needs.
#   benchmark:
#   - "CIS Kubernetes 5.1.1"
package airlock.kubernetes.k8s029

import data.lib.kubernetes as k8s

deny contains res if {
	k8s.kind in {"ClusterRoleBinding", "RoleBinding"}
	input.roleRef.name == "cluster-admin"
	res := {"msg": sprintf("%s %s binds cluster-admin", [k8s.kind, k8s.name]), "path": ["roleRef", "name"], "attribute": "roleRef.name", "expected": "a narrower role", "actual": "cluster-admin"}
}
