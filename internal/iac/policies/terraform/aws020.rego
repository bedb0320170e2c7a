# METADATA
# title: RDS instance storage not encrypted
# description: >-
#   The database's storage, backups and snapshots are not encrypted at rest.
# custom:
#   id: AWS020
#   severity: high
#   remediation: >-
#     Set storage_encrypted = true (with kms_key_id for a customer key); an
#     existing instance is encrypted by restoring an encrypted snapshot.
#   benchmark:
#   - "CIS AWS 2.3.1"
package airlock.terraform.aws020

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_db_instance"}
	v := object.get(r.values, "storage_encrypted", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: storage_encrypted is not true", [r.address]), "path": ["resources", i, "values", "storage_encrypted"], "attribute": "storage_encrypted", "expected": "true", "actual": terraform.show(v)}
}

ok(v) if {
	v == true
}
