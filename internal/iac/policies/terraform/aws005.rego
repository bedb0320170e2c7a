# METADATA
# title: S3 bucket policy allows anyone
# description: >-
#   A bucket policy statement allows Principal "*" without a condition: anyone
#   on the internet gets the actions it lists.
# custom:
#   id: AWS005
#   severity: critical
#   remediation: >-
#     Name the principals that need access, or add a condition
#     (aws:SourceVpce, aws:PrincipalOrgID) that limits who matches.
#   benchmark:
#   - "CIS AWS 2.1.4"
package airlock.terraform.aws005

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type == "aws_s3_bucket_policy"
	some s in terraform.statements(r.values.policy)
	s.Effect == "Allow"
	anyone(s.Principal)
	not s.Condition
	res := {"msg": sprintf("%s: a statement allows Principal \"*\"", [r.address]), "path": ["resources", i, "values", "policy"], "attribute": "policy", "expected": "named principals or a condition", "actual": "Principal: *"}
}

anyone(p) if p == "*"

anyone(p) if p.AWS == "*"

anyone(p) if "*" in p.AWS
