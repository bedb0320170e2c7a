# METADATA
# title: Storage container is public
# description: >-
#   Anyone on the internet can read the container's blobs (and list them, with
#   access type container).
# custom:
#   id: AZU005
#   severity: high
#   remediation: >-
#     Set container_access_type = "private" and hand out SAS tokens or use
#     Azure AD.
#   benchmark:
#   - "CIS Azure 3.7"
package airlock.terraform.azu005

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"azurerm_storage_container"}
	v := object.get(r.values, "container_access_type", null)
	v != null
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: container_access_type is not private", [r.address]), "path": ["resources", i, "values", "container_access_type"], "attribute": "container_access_type", "expected": "private", "actual": terraform.show(v)}
}

ok(v) if {
	v == "private"
}
