# METADATA
# title: Service runs privileged
# description: >-
#   A privileged container has every capability and every device of the host:
#   breaking out of it is trivial.
# related_resources:
# - https://docs.docker.com/reference/compose-file/services/
# custom:
#   id: DC001
#   severity: critical
#   remediation: >-
#     Remove privileged: true; add only the capabilities the service needs
#     with cap_add.
#   benchmark:
#   - "CIS Docker 5.4"
package airlock.compose.dc001

deny contains res if {
	some name, svc in object.get(input, "services", {})
	v := svc["privileged"]
	v in {true}
	res := {"msg": sprintf("service %s: privileged is %v", [name, v]), "path": ["services", name, "privileged"], "attribute": "privileged", "expected": "false", "actual": sprintf("%v", [v])}
}
