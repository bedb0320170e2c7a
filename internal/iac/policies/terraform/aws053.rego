# METADATA
# title: KMS key rotation disabled
# description: >-
#   A symmetric customer-managed KMS key is not rotated: a leaked key stays
#   valid for all data it ever encrypted.
# custom:
#   id: AWS053
#   severity: medium
#   remediation: >-
#     Set enable_key_rotation = true.
#   benchmark:
#   - "CIS AWS 3.6"
package airlock.terraform.aws053

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type == "aws_kms_key"
	object.get(r.values, "customer_master_key_spec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
	v := object.get(r.values, "enable_key_rotation", false)
	not terraform.unknown(v)
	v != true
	res := {"msg": sprintf("%s: key rotation is off", [r.address]), "path": ["resources", i, "values", "enable_key_rotation"], "attribute": "enable_key_rotation", "expected": "true", "actual": terraform.show(v)}
}
