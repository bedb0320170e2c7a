# METADATA
# title: Container unmasks /proc
# description: >-
#   procMount: Unmasked shows the node's /proc paths that the runtime
#   hides, such as /proc/kcore.
# related_resources:
# - https://kubernetes.io/docs/concepts/security/pod-security-standards/
# custom:
#   id: K8S032
#   severity: high
#   remediation: >-
#     Remove procMount or set it to Default.
package airlock.kubernetes.k8s032

import data.lib.kubernetes as k8s

deny contains res if {
	some c in k8s.containers
	k8s.security(c).procMount == "Unmasked"
	res := {"msg": sprintf("%s unmasks /proc", [k8s.label(c)]), "path": k8s.csc_path(c, "procMount"), "attribute": "securityContext.procMount", "expected": "Default", "actual": "Unmasked"}
}
