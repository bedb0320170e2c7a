# METADATA
# title: IAM policy allows every action of a service
# description: >-
#   A policy statement allows a service wildcard such as s3:* or iam:*: far
#   more than one application needs, including deleting and re-permissioning.
# custom:
#   id: AWS041
#   severity: high
#   remediation: >-
#     List the actions the principal needs (s3:GetObject, s3:PutObject).
package airlock.terraform.aws041

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.type in {"aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy"}
	some s in terraform.statements(r.values.policy)
	s.Effect == "Allow"
	some a in terraform.as_list(s.Action)
	regex.match(`^[a-z0-9-]+:\*$`, a)
	res := {"msg": sprintf("%s: a statement allows %s", [r.address, a]), "path": ["resources", i, "values", "policy"], "attribute": "policy", "expected": "named actions", "actual": a}
}

deny contains res if {
	some i, r in input.resources
	r.mode == "data"
	r.type == "aws_iam_policy_document"
	some k, s in terraform.blocks(r.values, "statement")
	object.get(s, "effect", "Allow") == "Allow"
	some a in object.get(s, "actions", [])
	regex.match(`^[a-z0-9-]+:\*$`, a)
	res := {"msg": sprintf("%s: a statement allows %s", [r.address, a]), "path": ["resources", i, "values", "statement", k, "actions"], "attribute": "statement.actions", "expected": "named actions", "actual": a}
}
