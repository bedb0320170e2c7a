# METADATA
# title: SNS topic not encrypted
# description: >-
#   The topic names no KMS key (KmsMasterKeyId): its messages are stored
#   unencrypted.
# custom:
#   id: CFN064
#   severity: medium
#   remediation: >-
#     Set KmsMasterKeyId (alias/aws/sns or a customer key).
package airlock.cloudformation.cfn064

import data.lib.cloudformation as cfn

deny contains res if {
	some i, r in cfn.resources("AWS::SNS::Topic")
	cfn.prop(r, "KmsMasterKeyId") == null
	res := {"msg": sprintf("%s: no KmsMasterKeyId", [r.address]), "path": ["resources", i], "attribute": "KmsMasterKeyId", "expected": "a KMS key", "actual": "missing"}
}
