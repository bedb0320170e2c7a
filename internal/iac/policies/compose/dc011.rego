# METADATA
# title: Service turns off a security profile
# description: >-
#   security_opt sets seccomp, AppArmor or SELinux labelling to
#   unconfined/disabled: the kernel stops filtering what the container may do.
# related_resources:
# - https://docs.docker.com/reference/compose-file/services/#security_opt
# custom:
#   id: DC011
#   severity: high
#   remediation: >-
#     Remove the unconfined option, or give a custom profile that allows
#     only what is needed.
#   benchmark:
#   - "CIS Docker 5.1"
#   - "CIS Docker 5.21"
package airlock.compose.dc011

deny contains res if {
	some name, svc in object.get(input, "services", {})
	some i, o in object.get(svc, "security_opt", [])
	regex.match(`^(seccomp|apparmor)[:=]unconfined$|^label[:=]disable$`, o)
	res := {"msg": sprintf("service %s: %s", [name, o]), "path": ["services", name, "security_opt", i], "attribute": "security_opt", "expected": "a confining profile", "actual": o}
}
