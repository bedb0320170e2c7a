# METADATA
# title: S3 bucket has no public access block
# description: >-
#   The bucket has no PublicAccessBlockConfiguration: nothing stops an ACL
#   or bucket policy from making its objects public.
# custom:
#   id: CFN003
#   severity: medium
#   remediation: >-
#     Add PublicAccessBlockConfiguration with BlockPublicAcls,
#     BlockPublicPolicy, IgnorePublicAcls and RestrictPublicBuckets set to
#     true.
#   benchmark:
#   - "CIS AWS 2.1.4"
package airlock.cloudformation.cfn003

import data.lib.cloudformation as cfn

deny contains res if {
	some i, r in cfn.resources("AWS::S3::Bucket")
	cfn.prop(r, "PublicAccessBlockConfiguration") == null
	res := {"msg": sprintf("%s: no PublicAccessBlockConfiguration", [r.address]), "path": ["resources", i], "attribute": "PublicAccessBlockConfiguration", "expected": "all four settings true", "actual": "missing"}
}
