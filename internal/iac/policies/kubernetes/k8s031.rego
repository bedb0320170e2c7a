# METADATA
# title: Container binds a host port
# description: >-
#   A hostPort opens the port on the node itself and ties the pod to nodes
#   where it is free.
# related_resources:
# - https://kubernetes.io/docs/concepts/security/pod-security-standards/
# custom:
#   id: K8S031
#   severity: medium
#   remediation: >-
#     Remove hostPort; expose the container through a Service.
package airlock.kubernetes.k8s031

import data.lib.kubernetes as k8s

deny contains res if {
	some c in k8s.containers
	some j, p in object.get(c.container, "ports", [])
	p.hostPort > 0
	res := {"msg": sprintf("%s binds host port %v", [k8s.label(c), p.hostPort]), "path": array.concat(c.path, ["ports", j, "hostPort"]), "attribute": "ports.hostPort", "expected": "unset", "actual": sprintf("%v", [p.hostPort])}
}
