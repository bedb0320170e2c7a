# METADATA
# title: Object is in the default namespace
# description: >-
#   The default namespace mixes unrelated workloads under one set of
#   policies and quotas.
# related_resources:
# - https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/
# custom:
#   id: K8S023
#   severity: low
#   remediation: >-
#     Put the object in a namespace of its own.
#   benchmark:
#   - "CIS Kubernetes 5.7.4"
package airlock.kubernetes.k8s023

import data.lib.kubernetes as k8s

deny contains res if {
	input.metadata.namespace == "default"
	res := {"msg": sprintf("%s %s is in the default namespace", [k8s.kind, k8s.name]), "path": ["metadata", "namespace"], "attribute": "metadata.namespace", "expected": "a namespace of its own", "actual": "default"}
}
