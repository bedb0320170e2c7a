# METADATA
# title: SQS queue not encrypted
# description: >-
#   The queue's messages are stored unencrypted: sqs_managed_sse_enabled is
#   false and no KMS key is given.
# custom:
#   id: AWS063
#   severity: medium
#   remediation: >-
#     Set sqs_managed_sse_enabled = true or kms_master_key_id.
package airlock.terraform.aws063

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type == "aws_sqs_queue"
	r.values.sqs_managed_sse_enabled == false
	not r.values.kms_master_key_id
	res := {"msg": sprintf("%s is not encrypted", [r.address]), "path": ["resources", i, "values", "sqs_managed_sse_enabled"], "attribute": "sqs_managed_sse_enabled", "expected": "true, or kms_master_key_id", "actual": "false"}
}
