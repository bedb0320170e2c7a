# METADATA
# title: Container runs privileged
# description: >-
#   A privileged container has every capability and every device of the
#   node: breaking out of it is trivial.
# related_resources:
# - https://kubernetes.io/docs/concepts/security/pod-security-standards/
# custom:
#   id: K8S001
#   severity: critical
#   remediation: >-
#     Remove securityContext.privileged or set it to false; add only the
#     capabilities the container needs.
#   benchmark:
#   - "CIS Kubernetes 5.2.2"
package airlock.kubernetes.k8s001

import data.lib.kubernetes as k8s

deny contains res if {
	some c in k8s.containers
	k8s.security(c).privileged == true
	res := {"msg": sprintf("%s is privileged", [k8s.label(c)]), "path": k8s.csc_path(c, "privileged"), "attribute": "securityContext.privileged", "expected": "false", "actual": "true"}
}
