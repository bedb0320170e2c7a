# METADATA
# title: ElastiCache not encrypted at rest
# description: >-
#   Cached data and backups are stored unencrypted.
# custom:
#   id: AWS072
#   severity: high
#   remediation: >-
#     Set at_rest_encryption_enabled = true.
package airlock.terraform.aws072

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_elasticache_replication_group"}
	v := object.get(r.values, "at_rest_encryption_enabled", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: at_rest_encryption_enabled is not true", [r.address]), "path": ["resources", i, "values", "at_rest_encryption_enabled"], "attribute": "at_rest_encryption_enabled", "expected": "true", "actual": terraform.show(v)}
}

ok(v) if {
	v == true
}
