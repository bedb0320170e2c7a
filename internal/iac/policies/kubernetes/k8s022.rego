# METADATA
# title: Pod mounts a service account token
# description: >-
#   Unless automountServiceAccountToken is false, every container gets a
#   token for the API server; most applications never use it.
# related_resources:
# - https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/
# custom:
#   id: K8S022
#   severity: low
#   remediation: >-
#     Set automountServiceAccountToken: false in the pod spec (or its
#     ServiceAccount) unless the pod calls the API.
#   benchmark:
#   - "CIS Kubernetes 5.1.6"
package airlock.kubernetes.k8s022

import data.lib.kubernetes as k8s

deny contains res if {
	count(k8s.pod_path) > 0
	not k8s.pod.automountServiceAccountToken == false
	res := {"msg": sprintf("%s %s mounts a service account token", [k8s.kind, k8s.name]), "path": array.concat(k8s.pod_path, ["automountServiceAccountToken"]), "attribute": "automountServiceAccountToken", "expected": "false", "actual": sprintf("%v", [object.get(k8s.pod, "automountServiceAccountToken", "unset")])}
}
