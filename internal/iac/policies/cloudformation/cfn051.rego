# METADATA
# title: CloudTrail log file validation disabled
# description: >-
#   Without log file validation, changes to or deletion of the trail's log
#   files cannot be detected.
# custom:
#   id: CFN051
#   severity: medium
#   remediation: >-
#     Set EnableLogFileValidation: true.
#   benchmark:
#   - "CIS AWS 3.2"
package airlock.cloudformation.cfn051

import data.lib.cloudformation as cfn

deny contains res if {
	some i, r in cfn.resources("AWS::CloudTrail::Trail")
	v := cfn.prop(r, "EnableLogFileValidation")
	not cfn.unknown(v)
	not cfn.truthy(v)
	res := {"msg": sprintf("%s: EnableLogFileValidation is not true", [r.address]), "path": cfn.at(i, r, "EnableLogFileValidation"), "attribute": "EnableLogFileValidation", "expected": "true", "actual": cfn.show(v)}
}
