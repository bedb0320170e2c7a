# METADATA
# title: Service may gain new privileges
# description: >-
#   security_opt lacks no-new-privileges:true: setuid binaries in the image
#   can raise a process's privileges.
# related_resources:
# - https://docs.docker.com/reference/compose-file/services/#security_opt
# custom:
#   id: DC012
#   severity: low
#   remediation: >-
#     Add security_opt: ["no-new-privileges:true"].
#   benchmark:
#   - "CIS Docker 5.25"
package airlock.compose.dc012

deny contains res if {
	some name, svc in object.get(input, "services", {})
	not no_new_privileges(svc)
	res := {"msg": sprintf("service %s may gain new privileges", [name]), "path": ["services", name, "security_opt"], "attribute": "security_opt", "expected": "no-new-privileges:true"}
}

no_new_privileges(svc) if {
	some o in svc.security_opt
	regex.match(`^no-new-privileges(:true|=true)?$`, o)
}
