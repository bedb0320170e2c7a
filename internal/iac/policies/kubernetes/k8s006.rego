# METADATA
# title: Container does not drop all capabilities
# description: >-
#   The default capabilities (NET_RAW, CHOWN, SETUID, ...) stay unless the
#   container drops ALL and adds back only what it needs.
# related_resources:
# - https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
# custom:
#   id: K8S006
#   severity: medium
#   remediation: >-
#     Set securityContext.capabilities.drop: [ALL]; add back only the
#     capabilities the container needs.
#   benchmark:
#   - "CIS Kubernetes 5.2.9"
package airlock.kubernetes.k8s006

import data.lib.kubernetes as k8s

deny contains res if {
	some c in k8s.containers
	drop := object.get(k8s.security(c), ["capabilities", "drop"], [])
	not "ALL" in {upper(d) | some d in drop; is_string(d)}
	res := {"msg": sprintf("%s does not drop ALL capabilities", [k8s.label(c)]), "path": array.concat(c.path, ["securityContext", "capabilities", "drop"]), "attribute": "securityContext.capabilities.drop", "expected": "[ALL]", "actual": sprintf("%v", [drop])}
}
