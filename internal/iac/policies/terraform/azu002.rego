# METADATA
# title: Storage account accepts TLS below 1.2
# description: >-
#   The storage account accepts TLS 1.0 or 1.1 connections.
# custom:
#   id: AZU002
#   severity: high
#   remediation: >-
#     Set min_tls_version = "TLS1_2".
#   benchmark:
#   - "CIS Azure 3.15"
package airlock.terraform.azu002

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"azurerm_storage_account"}
	v := object.get(r.values, "min_tls_version", null)
	v != null
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: min_tls_version is not TLS1_2", [r.address]), "path": ["resources", i, "values", "min_tls_version"], "attribute": "min_tls_version", "expected": "TLS1_2", "actual": terraform.show(v)}
}

ok(v) if {
	not v in {"TLS1_0", "TLS1_1"}
}
