# METADATA
# title: Secret written in a container's environment
# description: >-
#   A credential written as an env value is in the manifest, the repository
#   and every copy of them.
# related_resources:
# - https://kubernetes.io/docs/concepts/configuration/secret/
# custom:
#   id: K8S024
#   severity: high
#   remediation: >-
#     Read it from a Secret with valueFrom.secretKeyRef.
#   benchmark:
#   - "CIS Kubernetes 5.4.1"
package airlock.kubernetes.k8s024

import data.lib.kubernetes as k8s

deny contains res if {
	some c in k8s.containers
	some j, e in object.get(c.container, "env", [])
	k8s.secret_name(object.get(e, "name", ""))
	v := e.value
	is_string(v)
	v != ""
	not regex.match(`^\$\(.*\)$`, v)
	res := {"msg": sprintf("%s: %s is written in the manifest", [k8s.label(c), e.name]), "path": array.concat(c.path, ["env", j, "value"]), "attribute": sprintf("env.%s", [e.name]), "expected": "valueFrom.secretKeyRef", "actual": "a literal value"}
}
