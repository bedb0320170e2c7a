# METADATA
# title: RDS instance publicly accessible
# description: >-
#   PubliclyAccessible gives the database a public DNS name and address
#   reachable from outside the VPC.
# custom:
#   id: CFN021
#   severity: high
#   remediation: >-
#     Set PubliclyAccessible: false and reach the database from inside the
#     VPC.
#   benchmark:
#   - "CIS AWS 2.3.3"
package airlock.cloudformation.cfn021

import data.lib.cloudformation as cfn

deny contains res if {
	some i, r in cfn.resources("AWS::RDS::DBInstance")
	v := cfn.prop(r, "PubliclyAccessible")
	cfn.truthy(v)
	res := {"msg": sprintf("%s: PubliclyAccessible is true", [r.address]), "path": cfn.path(i, "PubliclyAccessible"), "attribute": "PubliclyAccessible", "expected": "false", "actual": cfn.show(v)}
}
