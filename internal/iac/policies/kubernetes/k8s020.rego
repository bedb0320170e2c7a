# METADATA
# title: Container has no readiness probe
# description: >-
#   Without a readiness probe traffic reaches the container before it can
#   serve it.
# related_resources:
# - https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/
# custom:
#   id: K8S020
#   severity: low
#   remediation: >-
#     Add a readinessProbe.
package airlock.kubernetes.k8s020

import data.lib.kubernetes as k8s

deny contains res if {
	not k8s.kind in {"Job", "CronJob"}
	some c in k8s.containers
	not c.init
	not c.container.readinessProbe
	res := {"msg": sprintf("%s has no readiness probe", [k8s.label(c)]), "path": array.concat(c.path, ["readinessProbe"]), "attribute": "readinessProbe", "expected": "a probe", "actual": "unset"}
}
