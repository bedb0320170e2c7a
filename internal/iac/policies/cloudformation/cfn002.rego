# METADATA
# title: S3 public access block turned off
# description: >-
#   The bucket's PublicAccessBlockConfiguration leaves one of
#   BlockPublicAcls, BlockPublicPolicy, IgnorePublicAcls or
#   RestrictPublicBuckets off: a later ACL or policy can make it public.
# custom:
#   id: CFN002
#   severity: high
#   remediation: >-
#     Set all four settings of PublicAccessBlockConfiguration to true.
#   benchmark:
#   - "CIS AWS 2.1.4"
package airlock.cloudformation.cfn002

import data.lib.cloudformation as cfn

deny contains res if {
	some i, r in cfn.resources("AWS::S3::Bucket")
	c := cfn.prop(r, "PublicAccessBlockConfiguration")
	is_object(c)
	some a in ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"]
	v := object.get(c, a, false)
	not cfn.unknown(v)
	not cfn.truthy(v)
	res := {"msg": sprintf("%s: %s is not true", [r.address, a]), "path": array.concat(cfn.path(i, "PublicAccessBlockConfiguration"), [a]), "attribute": sprintf("PublicAccessBlockConfiguration.%s", [a]), "expected": "true", "actual": cfn.show(v)}
}
