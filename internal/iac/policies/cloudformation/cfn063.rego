# METADATA
# title: SQS queue encryption turned off
# description: >-
#   The queue turns SQS-managed encryption off (SqsManagedSseEnabled: false)
#   and names no KMS key: its messages are stored unencrypted.
# custom:
#   id: CFN063
#   severity: medium
#   remediation: >-
#     Drop SqsManagedSseEnabled: false, or set KmsMasterKeyId to a KMS key.
package airlock.cloudformation.cfn063

import data.lib.cloudformation as cfn

deny contains res if {
	some i, r in cfn.resources("AWS::SQS::Queue")
	cfn.prop(r, "KmsMasterKeyId") == null
	v := cfn.prop(r, "SqsManagedSseEnabled")
	cfn.falsy(v)
	res := {"msg": sprintf("%s: messages are not encrypted", [r.address]), "path": cfn.path(i, "SqsManagedSseEnabled"), "attribute": "SqsManagedSseEnabled", "expected": "true, or a KmsMasterKeyId", "actual": cfn.show(v)}
}
