# METADATA
# title: IAM role can be assumed by anyone
# description: >-
#   The role's trust policy allows Principal "*" to assume it without a
#   condition: any AWS account can take its permissions.
# custom:
#   id: AWS045
#   severity: critical
#   remediation: >-
#     Name the accounts, services or roles that may assume the role, or add
#     a condition such as sts:ExternalId or aws:PrincipalOrgID.
package airlock.terraform.aws045

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type == "aws_iam_role"
	some s in terraform.statements(r.values.assume_role_policy)
	s.Effect == "Allow"
	anyone(s.Principal)
	not s.Condition
	res := {"msg": sprintf("%s: anyone may assume the role", [r.address]), "path": ["resources", i, "values", "assume_role_policy"], "attribute": "assume_role_policy", "expected": "named principals or a condition", "actual": "Principal: *"}
}

anyone(p) if p == "*"

anyone(p) if p.AWS == "*"

anyone(p) if "*" in p.AWS
