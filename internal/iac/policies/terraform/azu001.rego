# METADATA
# title: Storage account accepts plain HTTP
# description: >-
#   Requests to the storage account's endpoints may use HTTP: data and shared
#   keys cross the network unencrypted.
# custom:
#   id: AZU001
#   severity: high
#   remediation: >-
#     Set https_traffic_only_enabled = true (enable_https_traffic_only in
#     provider versions before 4).
#   benchmark:
#   - "CIS Azure 3.1"
package airlock.terraform.azu001

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"azurerm_storage_account"}
	v := object.get(r.values, "https_traffic_only_enabled", null)
	v != null
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: https_traffic_only_enabled is not true", [r.address]), "path": ["resources", i, "values", "https_traffic_only_enabled"], "attribute": "https_traffic_only_enabled", "expected": "true", "actual": terraform.show(v)}
}

ok(v) if {
	v != false
}
