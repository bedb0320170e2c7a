# METADATA
# title: Pod shares the node's IPC
# description: >-
#   hostIPC lets the pod read and write the shared memory of every process
#   of the node.
# related_resources:
# - https://kubernetes.io/docs/concepts/security/pod-security-standards/
# custom:
#   id: K8S012
#   severity: high
#   remediation: >-
#     Remove hostIPC: true.
#   benchmark:
#   - "CIS Kubernetes 5.2.4"
package airlock.kubernetes.k8s012

import data.lib.kubernetes as k8s

deny contains res if {
	k8s.pod.hostIPC == true
	res := {"msg": sprintf("%s %s shares the node's IPC", [k8s.kind, k8s.name]), "path": array.concat(k8s.pod_path, ["hostIPC"]), "attribute": "hostIPC", "expected": "false", "actual": "true"}
}
