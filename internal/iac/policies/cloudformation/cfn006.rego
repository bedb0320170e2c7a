# METADATA
# title: S3 bucket access logging not enabled
# description: >-
#   The bucket logs no server access: who read or changed its objects cannot
#   be told afterwards.
# custom:
#   id: CFN006
#   severity: low
#   remediation: >-
#     Add LoggingConfiguration with a DestinationBucketName (a bucket that
#     receives the logs).
package airlock.cloudformation.cfn006

import data.lib.cloudformation as cfn

deny contains res if {
	some i, r in cfn.resources("AWS::S3::Bucket")
	cfn.prop(r, "LoggingConfiguration") == null
	cfn.prop(r, "AccessControl") != "LogDeliveryWrite"
	res := {"msg": sprintf("%s: no LoggingConfiguration", [r.address]), "path": ["resources", i], "attribute": "LoggingConfiguration", "expected": "access logging to a log bucket", "actual": "missing"}
}
