# METADATA
# title: Container runs as user 0
# description: >-
#   runAsUser: 0 runs the container's processes as root, whatever the image
#   says.
# related_resources:
# - https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
# custom:
#   id: K8S004
#   severity: high
#   remediation: >-
#     Set runAsUser to a user above 0 and runAsNonRoot: true.
#   benchmark:
#   - "CIS Kubernetes 5.2.6"
package airlock.kubernetes.k8s004

import data.lib.kubernetes as k8s

deny contains res if {
	some c in k8s.containers
	k8s.security(c).runAsUser == 0
	res := {"msg": sprintf("%s runs as user 0", [k8s.label(c)]), "path": k8s.csc_path(c, "runAsUser"), "attribute": "securityContext.runAsUser", "expected": "a user above 0", "actual": "0"}
}

deny contains res if {
	k8s.pod_security.runAsUser == 0
	res := {"msg": sprintf("%s %s: the pod runs as user 0", [k8s.kind, k8s.name]), "path": array.concat(k8s.pod_path, ["securityContext", "runAsUser"]), "attribute": "securityContext.runAsUser", "expected": "a user above 0", "actual": "0"}
}
