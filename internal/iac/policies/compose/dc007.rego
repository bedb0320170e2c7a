# METADATA
# title: Service adds powerful capabilities
# description: >-
#   cap_add gives the container ALL capabilities, or SYS_ADMIN, NET_ADMIN,
#   SYS_PTRACE or SYS_MODULE, each close to root on the host.
# related_resources:
# - https://docs.docker.com/reference/compose-file/services/#cap_add
# custom:
#   id: DC007
#   severity: high
#   remediation: >-
#     Add only the narrow capabilities the service needs (NET_BIND_SERVICE),
#     and drop ALL first.
#   benchmark:
#   - "CIS Docker 5.3"
package airlock.compose.dc007

deny contains res if {
	some name, svc in object.get(input, "services", {})
	some i, c in object.get(svc, "cap_add", [])
	upper(trim_prefix(upper(c), "CAP_")) in {"ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH", "SYS_RAWIO"}
	res := {"msg": sprintf("service %s adds %s", [name, c]), "path": ["services", name, "cap_add", i], "attribute": "cap_add", "expected": "only narrow capabilities", "actual": c}
}
