# METADATA
# title: RDS automated backups disabled
# description: >-
#   backup_retention_period is 0: no automated backups and no point-in-time
#   recovery.
# custom:
#   id: AWS022
#   severity: medium
#   remediation: >-
#     Set backup_retention_period to 7 days or more.
package airlock.terraform.aws022

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_db_instance", "aws_rds_cluster"}
	v := object.get(r.values, "backup_retention_period", null)
	v != null
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: backup_retention_period is not at least 1 day (7 or more recommended)", [r.address]), "path": ["resources", i, "values", "backup_retention_period"], "attribute": "backup_retention_period", "expected": "at least 1 day (7 or more recommended)", "actual": terraform.show(v)}
}

ok(v) if {
	to_number(v) > 0
}
