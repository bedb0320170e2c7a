# METADATA
# title: ElastiCache not encrypted in transit
# description: >-
#   Clients and nodes talk to the cache in plain text.
# custom:
#   id: AWS073
#   severity: high
#   remediation: >-
#     Set transit_encryption_enabled = true.
package airlock.terraform.aws073

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_elasticache_replication_group"}
	v := object.get(r.values, "transit_encryption_enabled", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: transit_encryption_enabled is not true", [r.address]), "path": ["resources", i, "values", "transit_encryption_enabled"], "attribute": "transit_encryption_enabled", "expected": "true", "actual": terraform.show(v)}
}

ok(v) if {
	v == true
}
