# METADATA
# title: Service shares the host's IPC namespace
# description: >-
#   With ipc: host the container reaches the host's shared memory and
#   semaphores.
# related_resources:
# - https://docs.docker.com/reference/compose-file/services/
# custom:
#   id: DC004
#   severity: medium
#   remediation: >-
#     Remove ipc: host.
#   benchmark:
#   - "CIS Docker 5.16"
package airlock.compose.dc004

deny contains res if {
	some name, svc in object.get(input, "services", {})
	v := svc["ipc"]
	v in {"host"}
	res := {"msg": sprintf("service %s: ipc is %v", [name, v]), "path": ["services", name, "ipc"], "attribute": "ipc", "expected": "private or shareable", "actual": sprintf("%v", [v])}
}
