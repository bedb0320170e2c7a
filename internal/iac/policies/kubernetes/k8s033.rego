# METADATA
# title: Pod shares its process namespace
# description: >-
#   shareProcessNamespace lets every container of the pod see and signal
#   the others' processes and read their files through /proc.
# related_resources:
# - https://kubernetes.io/docs/tasks/configure-pod-container/share-process-namespace/
# custom:
#   id: K8S033
#   severity: medium
#   remediation: >-
#     Remove shareProcessNamespace: true unless a debugging sidecar needs
#     it.
package airlock.kubernetes.k8s033

import data.lib.kubernetes as k8s

deny contains res if {
	k8s.pod.shareProcessNamespace == true
	res := {"msg": sprintf("%s %s shares its process namespace", [k8s.kind, k8s.name]), "path": array.concat(k8s.pod_path, ["shareProcessNamespace"]), "attribute": "shareProcessNamespace", "expected": "false", "actual": "true"}
}
