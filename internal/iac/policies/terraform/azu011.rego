# METADATA
# title: AKS cluster without Kubernetes RBAC
# description: >-
#   Kubernetes role-based access control is turned off: every authenticated
#   user can do anything.
# custom:
#   id: AZU011
#   severity: high
#   remediation: >-
#     Set role_based_access_control_enabled = true.
package airlock.terraform.azu011

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"azurerm_kubernetes_cluster"}
	v := object.get(r.values, "role_based_access_control_enabled", null)
	v != null
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: role_based_access_control_enabled is not true", [r.address]), "path": ["resources", i, "values", "role_based_access_control_enabled"], "attribute": "role_based_access_control_enabled", "expected": "true", "actual": terraform.show(v)}
}

ok(v) if {
	v != false
}
