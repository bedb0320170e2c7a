# METADATA
# title: Docker socket mounted
# description: >-
#   The service mounts the Docker socket: whoever controls the container
#   controls the Docker daemon, and so the host.
# related_resources:
# - https://docs.docker.com/reference/compose-file/services/#volumes
# custom:
#   id: DC006
#   severity: critical
#   remediation: >-
#     Do not mount /var/run/docker.sock; use a socket proxy that allows only
#     the API calls needed, or rootless tooling.
#   benchmark:
#   - "CIS Docker 5.32"
package airlock.compose.dc006

import data.lib.compose

deny contains res if {
	some m in compose.mounts
	regex.match(`(^|/)docker\.sock$|^/var/run/docker$|^/run/docker$`, m.source)
	res := {"msg": sprintf("service %s mounts %s", [m.service, m.source]), "path": ["services", m.service, "volumes", m.index], "attribute": "volumes", "expected": "no Docker socket", "actual": m.source}
}
