# METADATA
# title: Service turns off user namespace remapping
# description: >-
#   userns_mode: host makes root in the container root on the host where the
#   daemon remaps users.
# related_resources:
# - https://docs.docker.com/reference/compose-file/services/
# custom:
#   id: DC005
#   severity: medium
#   remediation: >-
#     Remove userns_mode: host.
#   benchmark:
#   - "CIS Docker 5.31"
package airlock.compose.dc005

deny contains res if {
	some name, svc in object.get(input, "services", {})
	v := svc["userns_mode"]
	v in {"host"}
	res := {"msg": sprintf("service %s: userns_mode is %v", [name, v]), "path": ["services", name, "userns_mode"], "attribute": "userns_mode", "expected": "the daemon's user namespace", "actual": sprintf("%v", [v])}
}
