# METADATA
# title: S3 bucket access logging not enabled
# description: >-
#   The bucket logs no server access: who read or changed its objects cannot
#   be told afterwards. A bucket that receives other buckets' access logs
#   (a logging target, or ACL log-delivery-write) is not reported.
# custom:
#   id: AWS006
#   severity: low
#   remediation: >-
#     Add an aws_s3_bucket_logging for the bucket with a target_bucket that
#     receives the logs (or a logging block on the bucket with provider v3).
package airlock.terraform.aws006

import data.lib.terraform

deny contains res if {
	some i, b in input.resources
	b.mode == "managed"
	b.type == "aws_s3_bucket"
	count(terraform.blocks(b.values, "logging")) == 0
	not logged(b)
	not log_target(b)
	res := {"msg": sprintf("%s: no access logging for this bucket", [b.address]), "path": ["resources", i], "attribute": "aws_s3_bucket_logging", "expected": "an aws_s3_bucket_logging for the bucket", "actual": "missing"}
}

# logged: an aws_s3_bucket_logging refers to the bucket.
logged(b) if {
	some r in input.resources
	r.type == "aws_s3_bucket_logging"
	terraform.refers(r.values.bucket, b)
}

# log_target: the bucket receives other buckets' access logs.
log_target(b) if {
	some r in input.resources
	r.type == "aws_s3_bucket_logging"
	terraform.refers(r.values.target_bucket, b)
}

log_target(b) if {
	some r in input.resources
	r.type == "aws_s3_bucket"
	some l in terraform.blocks(r.values, "logging")
	terraform.refers(l.target_bucket, b)
}

log_target(b) if b.values.acl == "log-delivery-write"

log_target(b) if {
	some r in input.resources
	r.type == "aws_s3_bucket_acl"
	terraform.refers(r.values.bucket, b)
	r.values.acl == "log-delivery-write"
}
