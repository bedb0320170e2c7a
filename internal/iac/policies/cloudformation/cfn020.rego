# METADATA
# title: RDS storage not encrypted
# description: >-
#   The database's storage, backups and snapshots are not encrypted at rest
#   (StorageEncrypted is not true).
# custom:
#   id: CFN020
#   severity: high
#   remediation: >-
#     Set StorageEncrypted: true (with KmsKeyId for a customer key); an
#     existing instance is encrypted by restoring an encrypted snapshot.
#   benchmark:
#   - "CIS AWS 2.3.1"
package airlock.cloudformation.cfn020

import data.lib.cloudformation as cfn

deny contains res if {
	some i, r in input.resources
	r.type in {"AWS::RDS::DBInstance", "AWS::RDS::DBCluster"}
	cfn.prop(r, "DBClusterIdentifier") == null
	cfn.prop(r, "SourceDBInstanceIdentifier") == null
	v := cfn.prop(r, "StorageEncrypted")
	not cfn.unknown(v)
	not cfn.truthy(v)
	res := {"msg": sprintf("%s: StorageEncrypted is not true", [r.address]), "path": cfn.at(i, r, "StorageEncrypted"), "attribute": "StorageEncrypted", "expected": "true", "actual": cfn.show(v)}
}
