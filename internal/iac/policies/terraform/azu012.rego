# METADATA
# title: AKS cluster without network policy
# description: >-
#   No network policy engine: every pod can reach every other pod.
# custom:
#   id: AZU012
#   severity: medium
#   remediation: >-
#     Set network_profile { network_policy = "azure" } (or calico, cilium).
package airlock.terraform.azu012

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"azurerm_kubernetes_cluster"}
	some k, b in terraform.blocks(r.values, "network_profile")
	v := object.get(b, "network_policy", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: network_profile.network_policy is not azure, calico or cilium", [r.address]), "path": ["resources", i, "values", "network_profile", k, "network_policy"], "attribute": "network_profile.network_policy", "expected": "azure, calico or cilium", "actual": terraform.show(v)}
}

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"azurerm_kubernetes_cluster"}
	count(terraform.blocks(r.values, "network_profile")) == 0
	res := {"msg": sprintf("%s: no network_profile block", [r.address]), "path": ["resources", i, "values", "network_profile"], "attribute": "network_profile.network_policy", "expected": "azure, calico or cilium"}
}

ok(v) if {
	is_string(v)
	v != ""
}
