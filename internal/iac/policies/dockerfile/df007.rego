# METADATA
# title: apt-get install without --no-install-recommends
# description: >-
#   apt-get install pulls recommended packages too: a larger image with more
#   software that can be vulnerable.
# related_resources:
# - https://docs.docker.com/build/building/best-practices/#apt-get
# custom:
#   id: DF007
#   severity: low
#   remediation: >-
#     Add --no-install-recommends to apt-get install.
package airlock.dockerfile.df007

import data.lib.dockerfile

deny contains res if {
	some r in dockerfile.runs
	some cmd in dockerfile.commands(r.script)
	regex.match(`^(sudo\s+)?(\S+=\S+\s+)*(xx-)?apt-get\s+(.*\s)?install(\s|$)`, cmd)
	not contains(cmd, "--no-install-recommends")
	not regex.match(`(?i)Install-Recommends=(false|0|no)`, cmd)
	res := {"msg": "apt-get install without --no-install-recommends", "path": dockerfile.path(r), "attribute": "RUN", "expected": "--no-install-recommends", "actual": cmd}
}
