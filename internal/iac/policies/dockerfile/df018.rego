# METADATA
# title: World-writable permissions
# description: >-
#   A RUN gives files world-writable permissions (chmod 777 or o+w): any
#   process in the container, whatever its user, can change them.
# custom:
#   id: DF018
#   severity: medium
#   remediation: >-
#     Give the owner (and group) only the permissions it needs: chmod 755
#     for programs, 644 for files.
package airlock.dockerfile.df018

import data.lib.dockerfile

deny contains res if {
	some r in dockerfile.runs
	some cmd in dockerfile.commands(r.script)
	regex.match(`^(sudo\s+)?chmod\s+(-\S+\s+)*([0-7]?[0-7][0-7][2367]|(a|o|[ugo]*o[ugo]*)\+[rx]*w)\s`, cmd)
	res := {"msg": "chmod makes files world-writable", "path": dockerfile.path(r), "attribute": "RUN", "expected": "no write permission for others", "actual": cmd}
}
