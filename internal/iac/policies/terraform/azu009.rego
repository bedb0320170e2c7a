# METADATA
# title: Key Vault purge protection disabled
# description: >-
#   A deleted vault or key can be purged at once: an attacker or a mistake
#   destroys keys for good.
# custom:
#   id: AZU009
#   severity: medium
#   remediation: >-
#     Set purge_protection_enabled = true.
#   benchmark:
#   - "CIS Azure 8.5"
package airlock.terraform.azu009

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"azurerm_key_vault"}
	v := object.get(r.values, "purge_protection_enabled", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: purge_protection_enabled is not true", [r.address]), "path": ["resources", i, "values", "purge_protection_enabled"], "attribute": "purge_protection_enabled", "expected": "true", "actual": terraform.show(v)}
}

ok(v) if {
	v == true
}
