# METADATA
# title: Service root filesystem is writable
# description: >-
#   The container can write anywhere in its filesystem: an attacker can drop
#   tools or change the application.
# related_resources:
# - https://docs.docker.com/reference/compose-file/services/#read_only
# custom:
#   id: DC010
#   severity: low
#   remediation: >-
#     Set read_only: true and mount volumes or tmpfs where the service must
#     write.
#   benchmark:
#   - "CIS Docker 5.12"
package airlock.compose.dc010

deny contains res if {
	some name, svc in object.get(input, "services", {})
	not svc.read_only == true
	res := {"msg": sprintf("service %s has a writable root filesystem", [name]), "path": ["services", name, "read_only"], "attribute": "read_only", "expected": "true"}
}
