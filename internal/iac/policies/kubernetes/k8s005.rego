# METADATA
# title: Container root filesystem is writable
# description: >-
#   A writable root filesystem lets an intruder change the container's
#   binaries and configuration and keep tools there.
# related_resources:
# - https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
# custom:
#   id: K8S005
#   severity: medium
#   remediation: >-
#     Set securityContext.readOnlyRootFilesystem: true and mount an
#     emptyDir where the application must write.
package airlock.kubernetes.k8s005

import data.lib.kubernetes as k8s

deny contains res if {
	some c in k8s.containers
	not k8s.security(c).readOnlyRootFilesystem == true
	res := {"msg": sprintf("%s has a writable root filesystem", [k8s.label(c)]), "path": k8s.csc_path(c, "readOnlyRootFilesystem"), "attribute": "securityContext.readOnlyRootFilesystem", "expected": "true", "actual": sprintf("%v", [object.get(k8s.security(c), "readOnlyRootFilesystem", "unset")])}
}
