# METADATA
# title: Managed disk encryption turned off
# description: >-
#   Azure Disk Encryption is explicitly turned off for the disk.
# custom:
#   id: AZU018
#   severity: medium
#   remediation: >-
#     Remove encryption_settings { enabled = false } or set it to true with
#     a key vault key.
package airlock.terraform.azu018

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"azurerm_managed_disk"}
	some k, b in terraform.blocks(r.values, "encryption_settings")
	v := object.get(b, "enabled", null)
	v != null
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: encryption_settings.enabled is not true", [r.address]), "path": ["resources", i, "values", "encryption_settings", k, "enabled"], "attribute": "encryption_settings.enabled", "expected": "true", "actual": terraform.show(v)}
}

ok(v) if {
	v != false
}
