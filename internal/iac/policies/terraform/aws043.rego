# METADATA
# title: IAM password policy allows short passwords
# description: >-
#   The account's password policy accepts passwords shorter than 14
#   characters.
# custom:
#   id: AWS043
#   severity: medium
#   remediation: >-
#     Set minimum_password_length = 14 or more.
#   benchmark:
#   - "CIS AWS 1.8"
package airlock.terraform.aws043

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_iam_account_password_policy"}
	v := object.get(r.values, "minimum_password_length", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: minimum_password_length is not 14 or more", [r.address]), "path": ["resources", i, "values", "minimum_password_length"], "attribute": "minimum_password_length", "expected": "14 or more", "actual": terraform.show(v)}
}

ok(v) if {
	to_number(v) >= 14
}
