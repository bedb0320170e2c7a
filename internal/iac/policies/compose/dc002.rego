# METADATA
# title: Service shares the host's network
# description: >-
#   With network_mode: host the container sees and binds every host interface,
#   and its ports bypass Docker's isolation.
# related_resources:
# - https://docs.docker.com/reference/compose-file/services/
# custom:
#   id: DC002
#   severity: high
#   remediation: >-
#     Use the default bridge or a user-defined network and publish the ports
#     needed.
#   benchmark:
#   - "CIS Docker 5.9"
package airlock.compose.dc002

deny contains res if {
	some name, svc in object.get(input, "services", {})
	v := svc["network_mode"]
	v in {"host"}
	res := {"msg": sprintf("service %s: network_mode is %v", [name, v]), "path": ["services", name, "network_mode"], "attribute": "network_mode", "expected": "a service network", "actual": sprintf("%v", [v])}
}
