# METADATA
# title: SNS topic not encrypted
# description: >-
#   Messages published to the topic are stored unencrypted.
# custom:
#   id: AWS064
#   severity: medium
#   remediation: >-
#     Set kms_master_key_id (alias/aws/sns or a customer key).
package airlock.terraform.aws064

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_sns_topic"}
	v := object.get(r.values, "kms_master_key_id", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: kms_master_key_id is not a KMS key", [r.address]), "path": ["resources", i, "values", "kms_master_key_id"], "attribute": "kms_master_key_id", "expected": "a KMS key", "actual": terraform.show(v)}
}

ok(v) if {
	is_string(v)
	v != ""
}
