# METADATA
# title: App Service accepts TLS below 1.2
# description: >-
#   The app accepts TLS 1.0 or 1.1 connections.
# custom:
#   id: AZU015
#   severity: high
#   remediation: >-
#     Set site_config { minimum_tls_version = "1.2" }.
#   benchmark:
#   - "CIS Azure 9.3"
package airlock.terraform.azu015

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"azurerm_linux_web_app", "azurerm_windows_web_app", "azurerm_linux_function_app", "azurerm_windows_function_app"}
	some k, b in terraform.blocks(r.values, "site_config")
	v := object.get(b, "minimum_tls_version", null)
	v != null
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: site_config.minimum_tls_version is not 1.2", [r.address]), "path": ["resources", i, "values", "site_config", k, "minimum_tls_version"], "attribute": "site_config.minimum_tls_version", "expected": "1.2", "actual": terraform.show(v)}
}

ok(v) if {
	not v in {"1.0", "1.1"}
}
