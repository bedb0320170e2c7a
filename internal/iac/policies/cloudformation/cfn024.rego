# METADATA
# title: RDS deletion protection disabled
# description: >-
#   The database can be deleted by one API call or one stack update that
#   drops it: DeletionProtection is false or left out (its default is
#   false). An instance in an Aurora cluster takes the cluster's setting
#   and is not reported.
# custom:
#   id: CFN024
#   severity: low
#   remediation: >-
#     Set DeletionProtection: true for production databases.
package airlock.cloudformation.cfn024

import data.lib.cloudformation as cfn

deny contains res if {
	some i, r in input.resources
	r.type in {"AWS::RDS::DBInstance", "AWS::RDS::DBCluster"}
	cfn.prop(r, "DBClusterIdentifier") == null
	v := cfn.prop(r, "DeletionProtection")
	v != null
	not cfn.unknown(v)
	not cfn.truthy(v)
	res := {"msg": sprintf("%s: DeletionProtection is %v", [r.address, cfn.show(v)]), "path": cfn.path(i, "DeletionProtection"), "attribute": "DeletionProtection", "expected": "true", "actual": cfn.show(v)}
}

deny contains res if {
	some i, r in input.resources
	r.type in {"AWS::RDS::DBInstance", "AWS::RDS::DBCluster"}
	cfn.prop(r, "DBClusterIdentifier") == null
	cfn.prop(r, "DeletionProtection") == null
	res := {"msg": sprintf("%s: no DeletionProtection (the default is false)", [r.address]), "path": ["resources", i], "attribute": "DeletionProtection", "expected": "true", "actual": "missing"}
}
