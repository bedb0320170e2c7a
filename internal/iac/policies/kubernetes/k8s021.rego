# METADATA
# title: Container runs without a seccomp profile
# description: >-
#   Without seccomp (RuntimeDefault or a Localhost profile) every system
#   call is open to the container, the kernel's whole attack surface.
# related_resources:
# - https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
# custom:
#   id: K8S021
#   severity: medium
#   remediation: >-
#     Set securityContext.seccompProfile.type: RuntimeDefault in the pod or
#     the container.
#   benchmark:
#   - "CIS Kubernetes 5.7.2"
package airlock.kubernetes.k8s021

import data.lib.kubernetes as k8s

profile(c) := t if {
	t := k8s.security(c).seccompProfile.type
} else := t if {
	t := k8s.pod_security.seccompProfile.type
} else := "unset"

deny contains res if {
	some c in k8s.containers
	t := profile(c)
	not t in {"RuntimeDefault", "Localhost"}
	res := {"msg": sprintf("%s: seccomp profile is %v", [k8s.label(c), t]), "path": array.concat(c.path, ["securityContext", "seccompProfile", "type"]), "attribute": "securityContext.seccompProfile.type", "expected": "RuntimeDefault", "actual": sprintf("%v", [t])}
}
