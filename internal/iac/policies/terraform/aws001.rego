# METADATA
# title: S3 bucket ACL grants public access
# description: >-
#   The bucket's canned ACL lets anyone (or any AWS user) read or write its
#   objects.
# related_resources:
# - https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket_acl
# custom:
#   id: AWS001
#   severity: critical
#   remediation: >-
#     Set acl = "private" (or drop the ACL: new buckets own their objects)
#     and grant access through IAM or bucket policies.
#   benchmark:
#   - "CIS AWS 2.1.4"
package airlock.terraform.aws001

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_s3_bucket", "aws_s3_bucket_acl"}
	v := object.get(r.values, "acl", null)
	v != null
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: acl is not private", [r.address]), "path": ["resources", i, "values", "acl"], "attribute": "acl", "expected": "private", "actual": terraform.show(v)}
}

ok(v) if {
	not v in {"public-read", "public-read-write", "authenticated-read", "website"}
}
