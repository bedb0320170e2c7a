# METADATA
# title: Service shares the host's process namespace
# description: >-
#   With pid: host the container sees, and as root can signal or trace, every
#   process of the host.
# related_resources:
# - https://docs.docker.com/reference/compose-file/services/
# custom:
#   id: DC003
#   severity: high
#   remediation: >-
#     Remove pid: host.
#   benchmark:
#   - "CIS Docker 5.15"
package airlock.compose.dc003

deny contains res if {
	some name, svc in object.get(input, "services", {})
	v := svc["pid"]
	v in {"host"}
	res := {"msg": sprintf("service %s: pid is %v", [name, v]), "path": ["services", name, "pid"], "attribute": "pid", "expected": "the container's own PID namespace", "actual": sprintf("%v", [v])}
}
