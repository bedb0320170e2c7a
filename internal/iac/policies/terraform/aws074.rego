# METADATA
# title: EFS file system not encrypted
# description: >-
#   Files are stored unencrypted at rest.
# custom:
#   id: AWS074
#   severity: high
#   remediation: >-
#     Set encrypted = true.
#   benchmark:
#   - "CIS AWS 2.4.1"
package airlock.terraform.aws074

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_efs_file_system"}
	v := object.get(r.values, "encrypted", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: encrypted is not true", [r.address]), "path": ["resources", i, "values", "encrypted"], "attribute": "encrypted", "expected": "true", "actual": terraform.show(v)}
}

ok(v) if {
	v == true
}
