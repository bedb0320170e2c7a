# METADATA
# title: IAM policy attached to a user
# description: >-
#   Permissions are given to an IAM user directly instead of through a group
#   or role: access is hard to review and to take away.
# custom:
#   id: AWS042
#   severity: low
#   remediation: >-
#     Attach policies to groups or roles and put users in groups.
#   benchmark:
#   - "CIS AWS 1.15"
package airlock.terraform.aws042

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_iam_user_policy", "aws_iam_user_policy_attachment", "aws_iam_policy_attachment"}
	user_attached(r)
	res := {"msg": sprintf("%s attaches a policy to a user", [r.address]), "path": ["resources", i], "attribute": "user", "expected": "a group or role"}
}

user_attached(r) if r.type in {"aws_iam_user_policy", "aws_iam_user_policy_attachment"}

user_attached(r) if count(object.get(r.values, "users", [])) > 0
