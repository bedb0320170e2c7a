# METADATA
# title: Storage account network rules allow all networks
# description: >-
#   The account's firewall lets every network in by default.
# custom:
#   id: AZU004
#   severity: medium
#   remediation: >-
#     Set network_rules { default_action = "Deny" } and list the networks
#     and services that need access.
#   benchmark:
#   - "CIS Azure 3.8"
package airlock.terraform.azu004

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"azurerm_storage_account"}
	some k, b in terraform.blocks(r.values, "network_rules")
	v := object.get(b, "default_action", null)
	v != null
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: network_rules.default_action is not Deny", [r.address]), "path": ["resources", i, "values", "network_rules", k, "default_action"], "attribute": "network_rules.default_action", "expected": "Deny", "actual": terraform.show(v)}
}

ok(v) if {
	v != "Allow"
}
