# METADATA
# title: Linux VM allows password login
# description: >-
#   The VM accepts SSH logins with a password, which can be guessed.
# custom:
#   id: AZU013
#   severity: medium
#   remediation: >-
#     Set disable_password_authentication = true and give an admin_ssh_key.
package airlock.terraform.azu013

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"azurerm_linux_virtual_machine", "azurerm_linux_virtual_machine_scale_set"}
	v := object.get(r.values, "disable_password_authentication", null)
	v != null
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: disable_password_authentication is not true", [r.address]), "path": ["resources", i, "values", "disable_password_authentication"], "attribute": "disable_password_authentication", "expected": "true", "actual": terraform.show(v)}
}

ok(v) if {
	v != false
}
