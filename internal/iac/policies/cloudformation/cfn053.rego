# METADATA
# title: CloudTrail trail not logging
# description: >-
#   The trail exists but IsLogging is false: it records nothing.
# custom:
#   id: CFN053
#   severity: high
#   remediation: >-
#     Set IsLogging: true.
package airlock.cloudformation.cfn053

import data.lib.cloudformation as cfn

deny contains res if {
	some i, r in cfn.resources("AWS::CloudTrail::Trail")
	v := cfn.prop(r, "IsLogging")
	cfn.falsy(v)
	res := {"msg": sprintf("%s: IsLogging is false", [r.address]), "path": cfn.path(i, "IsLogging"), "attribute": "IsLogging", "expected": "true", "actual": cfn.show(v)}
}
