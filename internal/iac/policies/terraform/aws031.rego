# METADATA
# title: EBS encryption by default turned off
# description: >-
#   New EBS volumes in the region are not encrypted unless each asks.
# custom:
#   id: AWS031
#   severity: medium
#   remediation: >-
#     Set enabled = true.
#   benchmark:
#   - "CIS AWS 2.2.1"
package airlock.terraform.aws031

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_ebs_encryption_by_default"}
	v := object.get(r.values, "enabled", null)
	v != null
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: enabled is not true", [r.address]), "path": ["resources", i, "values", "enabled"], "attribute": "enabled", "expected": "true", "actual": terraform.show(v)}
}

ok(v) if {
	v != false
}
