# METADATA
# title: Container adds a dangerous capability
# description: >-
#   SYS_PTRACE, SYS_MODULE, SYS_RAWIO, NET_ADMIN, BPF, DAC_READ_SEARCH and
#   SYS_BOOT each give a way out of the container or over the node's
#   network.
# related_resources:
# - https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
# custom:
#   id: K8S009
#   severity: high
#   remediation: >-
#     Remove the capability from securityContext.capabilities.add.
#   benchmark:
#   - "CIS Kubernetes 5.2.8"
package airlock.kubernetes.k8s009

import data.lib.kubernetes as k8s

dangerous := {"SYS_PTRACE", "SYS_MODULE", "SYS_RAWIO", "NET_ADMIN", "BPF", "DAC_READ_SEARCH", "SYS_BOOT", "PERFMON"}

deny contains res if {
	some c in k8s.containers
	some i, cap in object.get(k8s.security(c), ["capabilities", "add"], [])
	is_string(cap)
	trim_prefix(upper(cap), "CAP_") in dangerous
	res := {"msg": sprintf("%s adds %s", [k8s.label(c), cap]), "path": array.concat(c.path, ["securityContext", "capabilities", "add", i]), "attribute": "securityContext.capabilities.add", "expected": "no dangerous capability", "actual": cap}
}
