# METADATA
# title: DynamoDB point-in-time recovery disabled
# description: >-
#   A table overwritten or deleted by mistake or by an attacker cannot be
#   restored to an earlier second.
# custom:
#   id: AWS065
#   severity: medium
#   remediation: >-
#     Set point_in_time_recovery { enabled = true }.
package airlock.terraform.aws065

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_dynamodb_table"}
	some k, b in terraform.blocks(r.values, "point_in_time_recovery")
	v := object.get(b, "enabled", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: point_in_time_recovery.enabled is not true", [r.address]), "path": ["resources", i, "values", "point_in_time_recovery", k, "enabled"], "attribute": "point_in_time_recovery.enabled", "expected": "true", "actual": terraform.show(v)}
}

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_dynamodb_table"}
	count(terraform.blocks(r.values, "point_in_time_recovery")) == 0
	res := {"msg": sprintf("%s: no point_in_time_recovery block", [r.address]), "path": ["resources", i, "values", "point_in_time_recovery"], "attribute": "point_in_time_recovery.enabled", "expected": "true"}
}

ok(v) if {
	v == true
}
