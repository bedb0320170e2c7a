# METADATA
# title: RDS deletion protection disabled
# description: >-
#   The database can be deleted by one API call or one terraform destroy.
# custom:
#   id: AWS024
#   severity: low
#   remediation: >-
#     Set deletion_protection = true for production databases.
package airlock.terraform.aws024

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_db_instance", "aws_rds_cluster"}
	v := object.get(r.values, "deletion_protection", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: deletion_protection is not true", [r.address]), "path": ["resources", i, "values", "deletion_protection"], "attribute": "deletion_protection", "expected": "true", "actual": terraform.show(v)}
}

ok(v) if {
	v == true
}
