# METADATA
# title: Container adds SYS_ADMIN or ALL capabilities
# description: >-
#   SYS_ADMIN is nearly root on the node (mounts, namespaces, BPF); ALL is
#   every capability.
# related_resources:
# - https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
# custom:
#   id: K8S007
#   severity: high
#   remediation: >-
#     Remove SYS_ADMIN and ALL from securityContext.capabilities.add.
#   benchmark:
#   - "CIS Kubernetes 5.2.8"
package airlock.kubernetes.k8s007

import data.lib.kubernetes as k8s

deny contains res if {
	some c in k8s.containers
	some i, cap in object.get(k8s.security(c), ["capabilities", "add"], [])
	is_string(cap)
	upper(trim_prefix(upper(cap), "CAP_")) in {"SYS_ADMIN", "ALL"}
	res := {"msg": sprintf("%s adds %s", [k8s.label(c), cap]), "path": array.concat(c.path, ["securityContext", "capabilities", "add", i]), "attribute": "securityContext.capabilities.add", "expected": "no SYS_ADMIN or ALL", "actual": cap}
}
