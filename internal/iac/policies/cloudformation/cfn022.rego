# METADATA
# title: RDS automated backups disabled
# description: >-
#   BackupRetentionPeriod 0 turns automated backups and point-in-time
#   recovery off.
# custom:
#   id: CFN022
#   severity: medium
#   remediation: >-
#     Set BackupRetentionPeriod to the days of backups to keep (7 or more).
package airlock.cloudformation.cfn022

import data.lib.cloudformation as cfn

deny contains res if {
	some i, r in input.resources
	r.type in {"AWS::RDS::DBInstance", "AWS::RDS::DBCluster"}
	v := cfn.prop(r, "BackupRetentionPeriod")
	v != null
	not cfn.unknown(v)
	to_number(v) == 0
	res := {"msg": sprintf("%s: BackupRetentionPeriod is 0", [r.address]), "path": cfn.path(i, "BackupRetentionPeriod"), "attribute": "BackupRetentionPeriod", "expected": "7 or more", "actual": cfn.show(v)}
}
