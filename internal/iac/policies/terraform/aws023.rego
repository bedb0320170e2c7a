# METADATA
# title: RDS cluster storage not encrypted
# description: >-
#   The Aurora/RDS cluster's storage, backups and snapshots are not encrypted
#   at rest.
# custom:
#   id: AWS023
#   severity: high
#   remediation: >-
#     Set storage_encrypted = true.
#   benchmark:
#   - "CIS AWS 2.3.1"
package airlock.terraform.aws023

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_rds_cluster"}
	v := object.get(r.values, "storage_encrypted", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: storage_encrypted is not true", [r.address]), "path": ["resources", i, "values", "storage_encrypted"], "attribute": "storage_encrypted", "expected": "true", "actual": terraform.show(v)}
}

ok(v) if {
	v == true
}
