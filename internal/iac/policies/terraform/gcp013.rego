# METADATA
# title: GKE legacy ABAC enabled
# description: >-
#   Attribute-based access control grants broad static permissions beside
#   RBAC.
# custom:
#   id: GCP013
#   severity: high
#   remediation: >-
#     Remove enable_legacy_abac or set it to false.
#   benchmark:
#   - "CIS GKE 5.8.3"
package airlock.terraform.gcp013

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"google_container_cluster"}
	v := object.get(r.values, "enable_legacy_abac", null)
	v != null
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: enable_legacy_abac is not false", [r.address]), "path": ["resources", i, "values", "enable_legacy_abac"], "attribute": "enable_legacy_abac", "expected": "false", "actual": terraform.show(v)}
}

ok(v) if {
	v != true
}
