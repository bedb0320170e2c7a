# METADATA
# title: EBS volume not encrypted
# description: >-
#   The volume and its snapshots are not encrypted at rest.
# custom:
#   id: AWS030
#   severity: high
#   remediation: >-
#     Set encrypted = true (and kms_key_id for a customer key), or turn on
#     EBS encryption by default.
#   benchmark:
#   - "CIS AWS 2.2.1"
package airlock.terraform.aws030

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_ebs_volume"}
	v := object.get(r.values, "encrypted", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: encrypted is not true", [r.address]), "path": ["resources", i, "values", "encrypted"], "attribute": "encrypted", "expected": "true", "actual": terraform.show(v)}
}

ok(v) if {
	v == true
}
