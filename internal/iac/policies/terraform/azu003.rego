# METADATA
# title: Storage account allows public blob access
# description: >-
#   Containers of the account may be made public: one setting away from
#   anonymous reads.
# custom:
#   id: AZU003
#   severity: high
#   remediation: >-
#     Set allow_nested_items_to_be_public = false.
#   benchmark:
#   - "CIS Azure 3.7"
package airlock.terraform.azu003

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"azurerm_storage_account"}
	v := object.get(r.values, "allow_nested_items_to_be_public", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: allow_nested_items_to_be_public is not false", [r.address]), "path": ["resources", i, "values", "allow_nested_items_to_be_public"], "attribute": "allow_nested_items_to_be_public", "expected": "false", "actual": terraform.show(v)}
}

ok(v) if {
	v == false
}
