# METADATA
# title: IAM password policy allows password reuse
# description: >-
#   Users may reuse one of their last 24 passwords.
# custom:
#   id: AWS044
#   severity: low
#   remediation: >-
#     Set password_reuse_prevention = 24.
#   benchmark:
#   - "CIS AWS 1.9"
package airlock.terraform.aws044

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_iam_account_password_policy"}
	v := object.get(r.values, "password_reuse_prevention", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: password_reuse_prevention is not 24", [r.address]), "path": ["resources", i, "values", "password_reuse_prevention"], "attribute": "password_reuse_prevention", "expected": "24", "actual": terraform.show(v)}
}

ok(v) if {
	to_number(v) >= 24
}
