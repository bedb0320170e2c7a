# METADATA
# title: Cloud SQL accepts unencrypted connections
# description: >-
#   The instance accepts connections without TLS (require_ssl = false, or
#   ssl_mode ALLOW_UNENCRYPTED_AND_ENCRYPTED).
# custom:
#   id: GCP009
#   severity: high
#   remediation: >-
#     Set ip_configuration { ssl_mode = "ENCRYPTED_ONLY" } (or
#     TRUSTED_CLIENT_CERTIFICATE_REQUIRED).
#   benchmark:
#   - "CIS GCP 6.4"
package airlock.terraform.gcp009

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type == "google_sql_database_instance"
	some a, s in terraform.blocks(r.values, "settings")
	some b, ip in terraform.blocks(s, "ip_configuration")
	some attr, bad in {"require_ssl": false, "ssl_mode": "ALLOW_UNENCRYPTED_AND_ENCRYPTED"}
	ip[attr] == bad
	res := {"msg": sprintf("%s accepts unencrypted connections", [r.address]), "path": ["resources", i, "values", "settings", a, "ip_configuration", b, attr], "attribute": sprintf("settings.ip_configuration.%s", [attr]), "expected": "ENCRYPTED_ONLY", "actual": sprintf("%v", [bad])}
}
