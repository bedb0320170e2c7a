# METADATA
# title: Container has no memory limit
# description: >-
#   Without a memory limit one container can take the node's memory and get
#   its neighbours killed.
# related_resources:
# - https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
# custom:
#   id: K8S015
#   severity: low
#   remediation: >-
#     Set resources.limits.memory.
package airlock.kubernetes.k8s015

import data.lib.kubernetes as k8s

deny contains res if {
	some c in k8s.containers
	not c.container.resources.limits.memory
	res := {"msg": sprintf("%s has no memory limit", [k8s.label(c)]), "path": array.concat(c.path, ["resources", "limits", "memory"]), "attribute": "resources.limits.memory", "expected": "a limit", "actual": "unset"}
}
