# METADATA
# title: Service is a NodePort
# description: >-
#   A NodePort service opens its port on every node, around ingress
#   controllers and load balancers.
# related_resources:
# - https://kubernetes.io/docs/concepts/services-networking/service/#type-nodeport
# custom:
#   id: K8S030
#   severity: low
#   remediation: >-
#     Use ClusterIP behind an Ingress, or a LoadBalancer.
package airlock.kubernetes.k8s030

import data.lib.kubernetes as k8s

deny contains res if {
	k8s.kind == "Service"
	input.spec.type == "NodePort"
	res := {"msg": sprintf("Service %s is a NodePort", [k8s.name]), "path": ["spec", "type"], "attribute": "spec.type", "expected": "ClusterIP or LoadBalancer", "actual": "NodePort"}
}
