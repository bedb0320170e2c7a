# METADATA
# title: EC2 root volume not encrypted
# description: >-
#   The instance's root volume is not encrypted at rest.
# custom:
#   id: AWS032
#   severity: high
#   remediation: >-
#     Set root_block_device { encrypted = true }, or turn on EBS encryption
#     by default.
#   benchmark:
#   - "CIS AWS 2.2.1"
package airlock.terraform.aws032

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_instance", "aws_launch_configuration"}
	some k, b in terraform.blocks(r.values, "root_block_device")
	v := object.get(b, "encrypted", null)
	v != null
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: root_block_device.encrypted is not true", [r.address]), "path": ["resources", i, "values", "root_block_device", k, "encrypted"], "attribute": "root_block_device.encrypted", "expected": "true", "actual": terraform.show(v)}
}

ok(v) if {
	v == true
}
