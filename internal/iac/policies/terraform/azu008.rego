# METADATA
# title: SQL server accepts TLS below 1.2
# description: >-
#   Clients may connect to the SQL server with TLS 1.0 or 1.1.
# custom:
#   id: AZU008
#   severity: high
#   remediation: >-
#     Set minimum_tls_version = "1.2".
package airlock.terraform.azu008

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"azurerm_mssql_server"}
	v := object.get(r.values, "minimum_tls_version", null)
	v != null
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: minimum_tls_version is not 1.2", [r.address]), "path": ["resources", i, "values", "minimum_tls_version"], "attribute": "minimum_tls_version", "expected": "1.2", "actual": terraform.show(v)}
}

ok(v) if {
	not v in {"1.0", "1.1", "Disabled"}
}
