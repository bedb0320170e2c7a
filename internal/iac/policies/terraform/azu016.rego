# METADATA
# title: Database server does not enforce SSL
# description: >-
#   Clients may connect to the PostgreSQL or MySQL server without TLS.
# custom:
#   id: AZU016
#   severity: high
#   remediation: >-
#     Set ssl_enforcement_enabled = true.
#   benchmark:
#   - "CIS Azure 4.3.1"
#   - "CIS Azure 4.4.1"
package airlock.terraform.azu016

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"azurerm_postgresql_server", "azurerm_mysql_server"}
	v := object.get(r.values, "ssl_enforcement_enabled", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: ssl_enforcement_enabled is not true", [r.address]), "path": ["resources", i, "values", "ssl_enforcement_enabled"], "attribute": "ssl_enforcement_enabled", "expected": "true", "actual": terraform.show(v)}
}

ok(v) if {
	v == true
}
