# METADATA
# title: Key Vault reachable from all networks
# description: >-
#   The vault's firewall lets every network in.
# custom:
#   id: AZU010
#   severity: medium
#   remediation: >-
#     Set network_acls { default_action = "Deny", bypass = "AzureServices" }
#     and list the networks that need access.
#   benchmark:
#   - "CIS Azure 8.7"
package airlock.terraform.azu010

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"azurerm_key_vault"}
	some k, b in terraform.blocks(r.values, "network_acls")
	v := object.get(b, "default_action", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: network_acls.default_action is not Deny", [r.address]), "path": ["resources", i, "values", "network_acls", k, "default_action"], "attribute": "network_acls.default_action", "expected": "Deny", "actual": terraform.show(v)}
}

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"azurerm_key_vault"}
	count(terraform.blocks(r.values, "network_acls")) == 0
	res := {"msg": sprintf("%s: no network_acls block", [r.address]), "path": ["resources", i, "values", "network_acls"], "attribute": "network_acls.default_action", "expected": "Deny"}
}

ok(v) if {
	v == "Deny"
}
