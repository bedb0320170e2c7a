# METADATA
# title: DynamoDB point-in-time recovery disabled
# description: >-
#   The table cannot be restored to a moment before an accidental write or
#   delete.
# custom:
#   id: CFN065
#   severity: low
#   remediation: >-
#     Set PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled: true.
package airlock.cloudformation.cfn065

import data.lib.cloudformation as cfn

deny contains res if {
	some i, r in cfn.resources("AWS::DynamoDB::Table")
	v := object.get(object.get(r.properties, "PointInTimeRecoverySpecification", {}), "PointInTimeRecoveryEnabled", null)
	not cfn.unknown(v)
	not cfn.truthy(v)
	res := {"msg": sprintf("%s: point-in-time recovery is off", [r.address]), "path": ["resources", i, "properties", "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled"], "attribute": "PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled", "expected": "true", "actual": cfn.show(v)}
}
