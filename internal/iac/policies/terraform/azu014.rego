# METADATA
# title: App Service accepts plain HTTP
# description: >-
#   The app answers HTTP requests instead of redirecting them to HTTPS.
# custom:
#   id: AZU014
#   severity: high
#   remediation: >-
#     Set https_only = true.
#   benchmark:
#   - "CIS Azure 9.2"
package airlock.terraform.azu014

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"azurerm_linux_web_app", "azurerm_windows_web_app", "azurerm_app_service", "azurerm_linux_function_app", "azurerm_windows_function_app"}
	v := object.get(r.values, "https_only", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: https_only is not true", [r.address]), "path": ["resources", i, "values", "https_only"], "attribute": "https_only", "expected": "true", "actual": terraform.show(v)}
}

ok(v) if {
	v == true
}
