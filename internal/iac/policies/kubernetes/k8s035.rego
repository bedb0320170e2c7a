# METADATA
# title: Pod runs as a Windows host process
# description: >-
#   A hostProcess container runs directly on the Windows node with its
#   privileges.
# related_resources:
# - https://kubernetes.io/docs/concepts/security/pod-security-standards/
# custom:
#   id: K8S035
#   severity: high
#   remediation: >-
#     Remove windowsOptions.hostProcess: true.
package airlock.kubernetes.k8s035

import data.lib.kubernetes as k8s

deny contains res if {
	some c in k8s.containers
	k8s.security(c).windowsOptions.hostProcess == true
	res := {"msg": sprintf("%s is a host process", [k8s.label(c)]), "path": array.concat(c.path, ["securityContext", "windowsOptions", "hostProcess"]), "attribute": "securityContext.windowsOptions.hostProcess", "expected": "false", "actual": "true"}
}

deny contains res if {
	k8s.pod_security.windowsOptions.hostProcess == true
	res := {"msg": sprintf("%s %s is a host process", [k8s.kind, k8s.name]), "path": array.concat(k8s.pod_path, ["securityContext", "windowsOptions", "hostProcess"]), "attribute": "securityContext.windowsOptions.hostProcess", "expected": "false", "actual": "true"}
}
