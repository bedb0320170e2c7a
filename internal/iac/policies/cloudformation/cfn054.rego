# METADATA
# title: KMS key rotation disabled
# description: >-
#   The symmetric KMS key is never rotated: a key compromised once stays
#   usable for everything it ever encrypted.
# custom:
#   id: CFN054
#   severity: medium
#   remediation: >-
#     Set EnableKeyRotation: true.
#   benchmark:
#   - "CIS AWS 3.6"
package airlock.cloudformation.cfn054

import data.lib.cloudformation as cfn

deny contains res if {
	some i, r in cfn.resources("AWS::KMS::Key")
	object.get(r.properties, "KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
	v := cfn.prop(r, "EnableKeyRotation")
	not cfn.unknown(v)
	not cfn.truthy(v)
	res := {"msg": sprintf("%s: EnableKeyRotation is not true", [r.address]), "path": cfn.at(i, r, "EnableKeyRotation"), "attribute": "EnableKeyRotation", "expected": "true", "actual": cfn.show(v)}
}
