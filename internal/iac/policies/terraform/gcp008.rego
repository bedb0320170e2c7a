# METADATA
# title: Cloud SQL reachable from any address
# description: >-
#   An authorized network of the Cloud SQL instance is 0.0.0.0/0: any address
#   may connect to its public IP.
# custom:
#   id: GCP008
#   severity: critical
#   remediation: >-
#     List only the networks that need the database, or use private IP.
#   benchmark:
#   - "CIS GCP 6.5"
package airlock.terraform.gcp008

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type == "google_sql_database_instance"
	some a, s in terraform.blocks(r.values, "settings")
	some b, ip in terraform.blocks(s, "ip_configuration")
	some c, n in terraform.blocks(ip, "authorized_networks")
	terraform.open_cidr(n.value)
	res := {"msg": sprintf("%s accepts connections from %s", [r.address, n.value]), "path": ["resources", i, "values", "settings", a, "ip_configuration", b, "authorized_networks", c, "value"], "attribute": "settings.ip_configuration.authorized_networks", "expected": "known networks", "actual": n.value}
}
