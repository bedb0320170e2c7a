# METADATA
# title: Container allows privilege escalation
# description: >-
#   Unless allowPrivilegeEscalation is false, a process in the container
#   can gain more privileges than its parent (setuid binaries, file
#   capabilities).
# related_resources:
# - https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
# custom:
#   id: K8S002
#   severity: medium
#   remediation: >-
#     Set securityContext.allowPrivilegeEscalation: false on every
#     container.
#   benchmark:
#   - "CIS Kubernetes 5.2.5"
package airlock.kubernetes.k8s002

import data.lib.kubernetes as k8s

deny contains res if {
	some c in k8s.containers
	not k8s.security(c).allowPrivilegeEscalation == false
	res := {"msg": sprintf("%s does not set allowPrivilegeEscalation: false", [k8s.label(c)]), "path": k8s.csc_path(c, "allowPrivilegeEscalation"), "attribute": "securityContext.allowPrivilegeEscalation", "expected": "false", "actual": sprintf("%v", [object.get(k8s.security(c), "allowPrivilegeEscalation", "unset")])}
}
