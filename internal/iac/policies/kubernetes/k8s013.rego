# METADATA
# title: Pod mounts a hostPath volume
# description: >-
#   A hostPath volume exposes the node's filesystem to the pod; written to,
#   it is a way onto the node.
# related_resources:
# - https://kubernetes.io/docs/concepts/storage/volumes/#hostpath
# custom:
#   id: K8S013
#   severity: medium
#   remediation: >-
#     Use a persistentVolumeClaim, emptyDir, configMap or secret volume
#     instead.
#   benchmark:
#   - "CIS Kubernetes 5.2.12"
package airlock.kubernetes.k8s013

import data.lib.kubernetes as k8s

deny contains res if {
	some v in k8s.volumes
	is_object(v.volume.hostPath)
	p := object.get(v.volume.hostPath, "path", "")
	res := {"msg": sprintf("%s %s: volume %s mounts %s from the node", [k8s.kind, k8s.name, object.get(v.volume, "name", ""), p]), "path": array.concat(v.path, ["hostPath"]), "attribute": "volumes.hostPath", "expected": "no hostPath volume", "actual": p}
}
