# METADATA
# title: S3 public access block turned off
# description: >-
#   An aws_s3_bucket_public_access_block (or the account-level one) leaves one
#   of its four settings false, so public ACLs or policies can expose the
#   bucket.
# related_resources:
# - https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket_public_access_block
# custom:
#   id: AWS002
#   severity: high
#   remediation: >-
#     Set block_public_acls, block_public_policy, ignore_public_acls and
#     restrict_public_buckets to true.
#   benchmark:
#   - "CIS AWS 2.1.4"
package airlock.terraform.aws002

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_s3_bucket_public_access_block", "aws_s3_account_public_access_block"}
	some attr in ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"]
	v := object.get(r.values, attr, false)
	not terraform.unknown(v)
	v != true
	res := {"msg": sprintf("%s: %s is not true", [r.address, attr]), "path": ["resources", i, "values", attr], "attribute": attr, "expected": "true", "actual": terraform.show(v)}
}
