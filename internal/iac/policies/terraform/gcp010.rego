# METADATA
# title: Cloud SQL backups disabled
# description: >-
#   Automated backups of the Cloud SQL instance are turned off.
# custom:
#   id: GCP010
#   severity: medium
#   remediation: >-
#     Set settings { backup_configuration { enabled = true } }.
#   benchmark:
#   - "CIS GCP 6.7"
package airlock.terraform.gcp010

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type == "google_sql_database_instance"
	some a, s in terraform.blocks(r.values, "settings")
	some b, bc in terraform.blocks(s, "backup_configuration")
	bc.enabled == false
	res := {"msg": sprintf("%s has backups turned off", [r.address]), "path": ["resources", i, "values", "settings", a, "backup_configuration", b, "enabled"], "attribute": "settings.backup_configuration.enabled", "expected": "true", "actual": "false"}
}
