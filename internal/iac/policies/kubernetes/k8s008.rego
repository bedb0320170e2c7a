# METADATA
# title: Container adds NET_RAW
# description: >-
#   NET_RAW allows forged packets and ARP or DNS spoofing against the other
#   pods of the node.
# related_resources:
# - https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
# custom:
#   id: K8S008
#   severity: medium
#   remediation: >-
#     Remove NET_RAW from securityContext.capabilities.add (ping works
#     without it on current kernels).
#   benchmark:
#   - "CIS Kubernetes 5.2.7"
package airlock.kubernetes.k8s008

import data.lib.kubernetes as k8s

deny contains res if {
	some c in k8s.containers
	some i, cap in object.get(k8s.security(c), ["capabilities", "add"], [])
	is_string(cap)
	trim_prefix(upper(cap), "CAP_") == "NET_RAW"
	res := {"msg": sprintf("%s adds %s", [k8s.label(c), cap]), "path": array.concat(c.path, ["securityContext", "capabilities", "add", i]), "attribute": "securityContext.capabilities.add", "expected": "no NET_RAW", "actual": cap}
}
