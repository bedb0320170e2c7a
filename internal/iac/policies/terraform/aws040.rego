# METADATA
# title: IAM policy grants full administrator access
# description: >-
#   A policy statement allows Action "*" on Resource "*": whoever holds it can
#   do anything in the account.
# custom:
#   id: AWS040
#   severity: critical
#   remediation: >-
#     Grant the actions and resources the principal needs; keep full access
#     to a break-glass role attached to AdministratorAccess.
#   benchmark:
#   - "CIS AWS 1.16"
package airlock.terraform.aws040

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.type in {"aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy"}
	some s in terraform.statements(r.values.policy)
	admin(s)
	res := {"msg": sprintf("%s: a statement allows * on *", [r.address]), "path": ["resources", i, "values", "policy"], "attribute": "policy", "expected": "named actions and resources", "actual": "Action: *, Resource: *"}
}

deny contains res if {
	some i, r in input.resources
	r.mode == "data"
	r.type == "aws_iam_policy_document"
	some k, s in terraform.blocks(r.values, "statement")
	object.get(s, "effect", "Allow") == "Allow"
	"*" in object.get(s, "actions", [])
	"*" in object.get(s, "resources", [])
	res := {"msg": sprintf("%s: a statement allows * on *", [r.address]), "path": ["resources", i, "values", "statement", k, "actions"], "attribute": "statement.actions", "expected": "named actions and resources", "actual": "*"}
}

admin(s) if {
	s.Effect == "Allow"
	"*" in terraform.as_list(s.Action)
	"*" in terraform.as_list(s.Resource)
}
