# METADATA
# title: GuardDuty detector disabled
# description: >-
#   Threat detection for the account and region is turned off.
# custom:
#   id: AWS075
#   severity: medium
#   remediation: >-
#     Set enable = true.
package airlock.terraform.aws075

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_guardduty_detector"}
	v := object.get(r.values, "enable", null)
	v != null
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: enable is not true", [r.address]), "path": ["resources", i, "values", "enable"], "attribute": "enable", "expected": "true", "actual": terraform.show(v)}
}

ok(v) if {
	v != false
}
