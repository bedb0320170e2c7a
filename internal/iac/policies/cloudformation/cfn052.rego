# METADATA
# title: CloudTrail logs not encrypted with KMS
# description: >-
#   The trail's log files are encrypted with S3-managed keys only: reading
#   them needs no KMS permission that could be controlled and audited.
# custom:
#   id: CFN052
#   severity: medium
#   remediation: >-
#     Set KMSKeyId to a customer-managed KMS key.
#   benchmark:
#   - "CIS AWS 3.5"
package airlock.cloudformation.cfn052

import data.lib.cloudformation as cfn

deny contains res if {
	some i, r in cfn.resources("AWS::CloudTrail::Trail")
	cfn.prop(r, "KMSKeyId") == null
	res := {"msg": sprintf("%s: no KMSKeyId", [r.address]), "path": ["resources", i], "attribute": "KMSKeyId", "expected": "a KMS key", "actual": "missing"}
}
