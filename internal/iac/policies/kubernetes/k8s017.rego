# METADATA
# title: Container has no resource requests
# description: >-
#   Without CPU and memory requests the scheduler cannot place the pod
#   sensibly and it is evicted first.
# related_resources:
# - https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
# custom:
#   id: K8S017
#   severity: low
#   remediation: >-
#     Set resources.requests.cpu and resources.requests.memory.
package airlock.kubernetes.k8s017

import data.lib.kubernetes as k8s

deny contains res if {
	some c in k8s.containers
	some r in ["cpu", "memory"]
	not c.container.resources.requests[r]
	res := {"msg": sprintf("%s has no %s request", [k8s.label(c), r]), "path": array.concat(c.path, ["resources", "requests", r]), "attribute": sprintf("resources.requests.%s", [r]), "expected": "a request", "actual": "unset"}
}
