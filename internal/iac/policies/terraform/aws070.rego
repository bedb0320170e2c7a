# METADATA
# title: Redshift cluster not encrypted
# description: >-
#   The data warehouse's data and snapshots are not encrypted at rest.
# custom:
#   id: AWS070
#   severity: high
#   remediation: >-
#     Set encrypted = true (with kms_key_id for a customer key).
package airlock.terraform.aws070

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_redshift_cluster"}
	v := object.get(r.values, "encrypted", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: encrypted is not true", [r.address]), "path": ["resources", i, "values", "encrypted"], "attribute": "encrypted", "expected": "true", "actual": terraform.show(v)}
}

ok(v) if {
	v == true
}
