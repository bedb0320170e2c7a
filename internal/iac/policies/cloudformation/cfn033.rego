# METADATA
# title: EC2 launch template allows instance metadata service v1
# description: >-
#   The launch template does not require IMDSv2 session tokens
#   (MetadataOptions.HttpTokens required): a server-side request forgery can
#   read the instance role's credentials.
# custom:
#   id: CFN033
#   severity: high
#   remediation: >-
#     Set LaunchTemplateData.MetadataOptions.HttpTokens: required.
#   benchmark:
#   - "CIS AWS 5.6"
package airlock.cloudformation.cfn033

import data.lib.cloudformation as cfn

deny contains res if {
	some i, r in cfn.resources("AWS::EC2::LaunchTemplate")
	ltd := object.get(r.properties, "LaunchTemplateData", {})
	is_object(ltd)
	v := object.get(object.get(ltd, "MetadataOptions", {}), "HttpTokens", null)
	not cfn.unknown(v)
	v != "required"
	res := {"msg": sprintf("%s: HttpTokens is not required", [r.address]), "path": ["resources", i, "properties", "LaunchTemplateData", "MetadataOptions", "HttpTokens"], "attribute": "MetadataOptions.HttpTokens", "expected": "required", "actual": cfn.show(v)}
}
