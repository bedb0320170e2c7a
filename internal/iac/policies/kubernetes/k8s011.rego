# METADATA
# title: Pod shares the node's process IDs
# description: >-
#   hostPID lets the pod see and signal every process of the node, and read
#   their environment.
# related_resources:
# - https://kubernetes.io/docs/concepts/security/pod-security-standards/
# custom:
#   id: K8S011
#   severity: high
#   remediation: >-
#     Remove hostPID: true.
#   benchmark:
#   - "CIS Kubernetes 5.2.3"
package airlock.kubernetes.k8s011

import data.lib.kubernetes as k8s

deny contains res if {
	k8s.pod.hostPID == true
	res := {"msg": sprintf("%s %s shares the node's process IDs", [k8s.kind, k8s.name]), "path": array.concat(k8s.pod_path, ["hostPID"]), "attribute": "hostPID", "expected": "false", "actual": "true"}
}
