# METADATA
# title: EC2 block device not encrypted
# description: >-
#   An EBS block device of an instance or launch template is not encrypted
#   at rest.
# custom:
#   id: CFN031
#   severity: high
#   remediation: >-
#     Set Ebs.Encrypted: true on every block device mapping, or turn on EBS
#     encryption by default for the account.
#   benchmark:
#   - "CIS AWS 2.2.1"
package airlock.cloudformation.cfn031

import data.lib.cloudformation as cfn

mappings contains {"r": r, "path": ["resources", i, "properties", "BlockDeviceMappings", k], "m": m} if {
	some i, r in cfn.resources("AWS::EC2::Instance")
	some k, m in object.get(r.properties, "BlockDeviceMappings", [])
}

mappings contains {"r": r, "path": ["resources", i, "properties", "LaunchTemplateData", "BlockDeviceMappings", k], "m": m} if {
	some i, r in cfn.resources("AWS::EC2::LaunchTemplate")
	some k, m in object.get(object.get(r.properties, "LaunchTemplateData", {}), "BlockDeviceMappings", [])
}

deny contains res if {
	some x in mappings
	is_object(x.m.Ebs)
	v := object.get(x.m.Ebs, "Encrypted", null)
	not cfn.unknown(v)
	not cfn.truthy(v)
	res := {"msg": sprintf("%s: block device %v is not encrypted", [x.r.address, object.get(x.m, "DeviceName", "")]), "path": array.concat(x.path, ["Ebs", "Encrypted"]), "attribute": "BlockDeviceMappings.Ebs.Encrypted", "expected": "true", "actual": cfn.show(v)}
}
