# METADATA
# title: Sensitive host directory mounted
# description: >-
#   The service bind-mounts a sensitive host directory (/, /etc, /proc, /sys,
#   /boot, /root, /var/lib/docker): the container can read or change the host.
# related_resources:
# - https://docs.docker.com/reference/compose-file/services/#volumes
# custom:
#   id: DC014
#   severity: high
#   remediation: >-
#     Mount only the application's own directories, read-only where
#     possible.
#   benchmark:
#   - "CIS Docker 5.5"
package airlock.compose.dc014

import data.lib.compose

deny contains res if {
	some m in compose.mounts
	src := trim_suffix(m.source, "/")
	sensitive(src)
	res := {"msg": sprintf("service %s mounts host %s", [m.service, m.source]), "path": ["services", m.service, "volumes", m.index], "attribute": "volumes", "expected": "no sensitive host directory", "actual": m.source}
}

sensitive("")

sensitive(s) if s in {"/etc", "/proc", "/sys", "/boot", "/root", "/var/lib/docker", "/dev", "/lib/modules", "/usr"}

sensitive(s) if regex.match(`^/(etc|proc|sys|boot|root|var/lib/docker)/`, s)
