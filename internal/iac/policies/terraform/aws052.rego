# METADATA
# title: CloudTrail logs not encrypted with KMS
# description: >-
#   Trail logs are encrypted only with S3-managed keys: anyone who can read
#   the bucket can read the logs.
# custom:
#   id: AWS052
#   severity: medium
#   remediation: >-
#     Set kms_key_id to a customer-managed KMS key.
#   benchmark:
#   - "CIS AWS 3.5"
package airlock.terraform.aws052

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_cloudtrail"}
	v := object.get(r.values, "kms_key_id", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: kms_key_id is not a KMS key", [r.address]), "path": ["resources", i, "values", "kms_key_id"], "attribute": "kms_key_id", "expected": "a KMS key", "actual": terraform.show(v)}
}

ok(v) if {
	is_string(v)
	v != ""
}
