# METADATA
# title: CloudTrail trail covers one region only
# description: >-
#   The trail records API calls of its own region only: activity in the
#   other regions goes unlogged.
# custom:
#   id: CFN050
#   severity: medium
#   remediation: >-
#     Set IsMultiRegionTrail: true.
#   benchmark:
#   - "CIS AWS 3.1"
package airlock.cloudformation.cfn050

import data.lib.cloudformation as cfn

deny contains res if {
	some i, r in cfn.resources("AWS::CloudTrail::Trail")
	v := cfn.prop(r, "IsMultiRegionTrail")
	not cfn.unknown(v)
	not cfn.truthy(v)
	res := {"msg": sprintf("%s: IsMultiRegionTrail is not true", [r.address]), "path": cfn.at(i, r, "IsMultiRegionTrail"), "attribute": "IsMultiRegionTrail", "expected": "true", "actual": cfn.show(v)}
}
