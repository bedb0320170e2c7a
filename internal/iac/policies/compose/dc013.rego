# METADATA
# title: Service runs as root explicitly
# description: >-
#   The service sets user to root (UID 0).
# related_resources:
# - https://docs.docker.com/reference/compose-file/services/
# custom:
#   id: DC013
#   severity: medium
#   remediation: >-
#     Run as an unprivileged user: user: "10001:10001".
#   benchmark:
#   - "CIS Docker 4.1"
package airlock.compose.dc013

deny contains res if {
	some name, svc in object.get(input, "services", {})
	v := svc["user"]
	v in {"root", "0", "0:0", "root:root"}
	res := {"msg": sprintf("service %s: user is %v", [name, v]), "path": ["services", name, "user"], "attribute": "user", "expected": "a non-root user", "actual": sprintf("%v", [v])}
}
