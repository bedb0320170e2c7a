# METADATA
# title: RDS minor version upgrades disabled
# description: >-
#   The database does not receive minor engine versions, which carry security
#   fixes.
# custom:
#   id: AWS025
#   severity: low
#   remediation: >-
#     Set auto_minor_version_upgrade = true.
#   benchmark:
#   - "CIS AWS 2.3.2"
package airlock.terraform.aws025

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_db_instance"}
	v := object.get(r.values, "auto_minor_version_upgrade", null)
	v != null
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: auto_minor_version_upgrade is not true", [r.address]), "path": ["resources", i, "values", "auto_minor_version_upgrade"], "attribute": "auto_minor_version_upgrade", "expected": "true", "actual": terraform.show(v)}
}

ok(v) if {
	v != false
}
