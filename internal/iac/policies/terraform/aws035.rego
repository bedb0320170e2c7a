# METADATA
# title: EBS snapshot copy not encrypted
# description: >-
#   The snapshot copy is stored unencrypted.
# custom:
#   id: AWS035
#   severity: high
#   remediation: >-
#     Set encrypted = true on the copy.
#   benchmark:
#   - "CIS AWS 2.2.1"
package airlock.terraform.aws035

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_ebs_snapshot_copy"}
	v := object.get(r.values, "encrypted", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: encrypted is not true", [r.address]), "path": ["resources", i, "values", "encrypted"], "attribute": "encrypted", "expected": "true", "actual": terraform.show(v)}
}

ok(v) if {
	v == true
}
