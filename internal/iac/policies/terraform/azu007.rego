# METADATA
# title: SQL firewall rule allows the whole internet
# description: >-
#   A firewall rule of the SQL server spans 0.0.0.0 to 255.255.255.255: any
#   address may connect.
# custom:
#   id: AZU007
#   severity: high
#   remediation: >-
#     Allow only the addresses that need the database; use private
#     endpoints.
#   benchmark:
#   - "CIS Azure 4.1.2"
package airlock.terraform.azu007

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"azurerm_mssql_firewall_rule", "azurerm_sql_firewall_rule", "azurerm_postgresql_firewall_rule", "azurerm_mysql_firewall_rule", "azurerm_postgresql_flexible_server_firewall_rule", "azurerm_mysql_flexible_server_firewall_rule"}
	r.values.start_ip_address == "0.0.0.0"
	r.values.end_ip_address == "255.255.255.255"
	res := {"msg": sprintf("%s allows every address", [r.address]), "path": ["resources", i, "values", "end_ip_address"], "attribute": "end_ip_address", "expected": "a narrow address range", "actual": "0.0.0.0-255.255.255.255"}
}
