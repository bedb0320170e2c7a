# METADATA
# title: Container has no CPU limit
# description: >-
#   Without a CPU limit one container can starve the others of its node.
# related_resources:
# - https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
# custom:
#   id: K8S016
#   severity: low
#   remediation: >-
#     Set resources.limits.cpu.
package airlock.kubernetes.k8s016

import data.lib.kubernetes as k8s

deny contains res if {
	some c in k8s.containers
	not c.container.resources.limits.cpu
	res := {"msg": sprintf("%s has no CPU limit", [k8s.label(c)]), "path": array.concat(c.path, ["resources", "limits", "cpu"]), "attribute": "resources.limits.cpu", "expected": "a limit", "actual": "unset"}
}
