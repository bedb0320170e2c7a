# METADATA
# title: CloudTrail trail covers one region only
# description: >-
#   Activity in other regions is not logged: an attacker works where no trail
#   looks.
# custom:
#   id: AWS050
#   severity: medium
#   remediation: >-
#     Set is_multi_region_trail = true.
#   benchmark:
#   - "CIS AWS 3.1"
package airlock.terraform.aws050

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_cloudtrail"}
	v := object.get(r.values, "is_multi_region_trail", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: is_multi_region_trail is not true", [r.address]), "path": ["resources", i, "values", "is_multi_region_trail"], "attribute": "is_multi_region_trail", "expected": "true", "actual": terraform.show(v)}
}

ok(v) if {
	v == true
}
