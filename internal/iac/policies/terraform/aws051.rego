# METADATA
# title: CloudTrail log file validation disabled
# description: >-
#   Nothing proves that delivered log files were not changed or deleted.
# custom:
#   id: AWS051
#   severity: medium
#   remediation: >-
#     Set enable_log_file_validation = true.
#   benchmark:
#   - "CIS AWS 3.2"
package airlock.terraform.aws051

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_cloudtrail"}
	v := object.get(r.values, "enable_log_file_validation", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: enable_log_file_validation is not true", [r.address]), "path": ["resources", i, "values", "enable_log_file_validation"], "attribute": "enable_log_file_validation", "expected": "true", "actual": terraform.show(v)}
}

ok(v) if {
	v == true
}
