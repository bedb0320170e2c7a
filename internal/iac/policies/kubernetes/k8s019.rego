# METADATA
# title: Container has no liveness probe
# description: >-
#   Without a liveness probe a hung container is never restarted.
# related_resources:
# - https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/
# custom:
#   id: K8S019
#   severity: low
#   remediation: >-
#     Add a livenessProbe.
package airlock.kubernetes.k8s019

import data.lib.kubernetes as k8s

deny contains res if {
	not k8s.kind in {"Job", "CronJob"}
	some c in k8s.containers
	not c.init
	not c.container.livenessProbe
	res := {"msg": sprintf("%s has no liveness probe", [k8s.label(c)]), "path": array.concat(c.path, ["livenessProbe"]), "attribute": "livenessProbe", "expected": "a probe", "actual": "unset"}
}
