# METADATA
# title: Container runs without AppArmor
# description: >-
#   An Unconfined AppArmor profile removes the runtime's default
#   confinement of the container.
# related_resources:
# - https://kubernetes.io/docs/concepts/security/pod-security-standards/
# custom:
#   id: K8S034
#   severity: medium
#   remediation: >-
#     Remove the Unconfined profile (RuntimeDefault is the default) or use
#     a Localhost profile.
#   benchmark:
#   - "CIS Kubernetes 5.7.2"
package airlock.kubernetes.k8s034

import data.lib.kubernetes as k8s

deny contains res if {
	some c in k8s.containers
	k8s.security(c).appArmorProfile.type == "Unconfined"
	res := {"msg": sprintf("%s runs without AppArmor", [k8s.label(c)]), "path": array.concat(c.path, ["securityContext", "appArmorProfile", "type"]), "attribute": "securityContext.appArmorProfile.type", "expected": "RuntimeDefault", "actual": "Unconfined"}
}

deny contains res if {
	k8s.pod_security.appArmorProfile.type == "Unconfined"
	res := {"msg": sprintf("%s %s runs without AppArmor", [k8s.kind, k8s.name]), "path": array.concat(k8s.pod_path, ["securityContext", "appArmorProfile", "type"]), "attribute": "securityContext.appArmorProfile.type", "expected": "RuntimeDefault", "actual": "Unconfined"}
}
