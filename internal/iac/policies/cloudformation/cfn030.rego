# METADATA
# title: EBS volume not encrypted
# description: >-
#   The volume and its snapshots are not encrypted at rest.
# custom:
#   id: CFN030
#   severity: high
#   remediation: >-
#     Set Encrypted: true (with KmsKeyId for a customer key), or turn on EBS
#     encryption by default for the account.
#   benchmark:
#   - "CIS AWS 2.2.1"
package airlock.cloudformation.cfn030

import data.lib.cloudformation as cfn

deny contains res if {
	some i, r in cfn.resources("AWS::EC2::Volume")
	v := cfn.prop(r, "Encrypted")
	not cfn.unknown(v)
	not cfn.truthy(v)
	res := {"msg": sprintf("%s: Encrypted is not true", [r.address]), "path": cfn.at(i, r, "Encrypted"), "attribute": "Encrypted", "expected": "true", "actual": cfn.show(v)}
}
