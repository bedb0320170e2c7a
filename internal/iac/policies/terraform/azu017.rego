# METADATA
# title: Database reachable from public networks
# description: >-
#   The database server accepts connections over its public endpoint.
# custom:
#   id: AZU017
#   severity: medium
#   remediation: >-
#     Set public_network_access_enabled = false and use private endpoints.
package airlock.terraform.azu017

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"azurerm_mssql_server", "azurerm_postgresql_flexible_server", "azurerm_mysql_flexible_server", "azurerm_cosmosdb_account"}
	v := object.get(r.values, "public_network_access_enabled", null)
	v != null
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: public_network_access_enabled is not false", [r.address]), "path": ["resources", i, "values", "public_network_access_enabled"], "attribute": "public_network_access_enabled", "expected": "false", "actual": terraform.show(v)}
}

ok(v) if {
	v == false
}
