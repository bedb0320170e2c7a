# METADATA
# title: Pod uses the node's network
# description: >-
#   hostNetwork puts the pod on the node's network stack: it reaches
#   services bound to localhost and sees every connection of the node.
# related_resources:
# - https://kubernetes.io/docs/concepts/security/pod-security-standards/
# custom:
#   id: K8S010
#   severity: high
#   remediation: >-
#     Remove hostNetwork: true.
#   benchmark:
#   - "CIS Kubernetes 5.2.5"
package airlock.kubernetes.k8s010

import data.lib.kubernetes as k8s

deny contains res if {
	k8s.pod.hostNetwork == true
	res := {"msg": sprintf("%s %s uses the node's network", [k8s.kind, k8s.name]), "path": array.concat(k8s.pod_path, ["hostNetwork"]), "attribute": "hostNetwork", "expected": "false", "actual": "true"}
}
