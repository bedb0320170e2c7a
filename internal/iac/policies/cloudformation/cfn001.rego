# METADATA
# title: S3 bucket ACL grants public access
# description: >-
#   The bucket's canned ACL (AccessControl) lets anyone, or any AWS user,
#   read or write its objects.
# related_resources:
# - https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-s3-bucket.html
# custom:
#   id: CFN001
#   severity: critical
#   remediation: >-
#     Set AccessControl to Private (or drop it) and grant access through IAM
#     or a bucket policy.
#   benchmark:
#   - "CIS AWS 2.1.4"
package airlock.cloudformation.cfn001

import data.lib.cloudformation as cfn

deny contains res if {
	some i, r in cfn.resources("AWS::S3::Bucket")
	v := cfn.prop(r, "AccessControl")
	v in {"PublicRead", "PublicReadWrite", "AuthenticatedRead"}
	res := {"msg": sprintf("%s: AccessControl is %s", [r.address, v]), "path": cfn.path(i, "AccessControl"), "attribute": "AccessControl", "expected": "Private", "actual": v}
}
