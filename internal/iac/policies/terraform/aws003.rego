# METADATA
# title: S3 bucket has no public access block
# description: >-
#   No aws_s3_bucket_public_access_block in the configuration refers to the
#   bucket, and no account-level block exists: nothing stops a later ACL or
#   policy from making it public.
# custom:
#   id: AWS003
#   severity: medium
#   remediation: >-
#     Add an aws_s3_bucket_public_access_block for the bucket with all four
#     settings true (or an aws_s3_account_public_access_block).
#   benchmark:
#   - "CIS AWS 2.1.4"
package airlock.terraform.aws003

import data.lib.terraform

deny contains res if {
	some i, b in input.resources
	b.mode == "managed"
	b.type == "aws_s3_bucket"
	not account_block
	not blocked(b)
	res := {"msg": sprintf("%s: no public access block refers to this bucket", [b.address]), "path": ["resources", i], "attribute": "aws_s3_bucket_public_access_block", "expected": "a public access block for the bucket"}
}

account_block if {
	some r in input.resources
	r.type == "aws_s3_account_public_access_block"
}

blocked(b) if {
	some r in input.resources
	r.type == "aws_s3_bucket_public_access_block"
	terraform.refers(r.values.bucket, b)
}
