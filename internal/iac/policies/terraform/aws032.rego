# METADATA
# title: EC2 root volume not encrypted
# description: >-
#   The instance's root volume is not encrypted at rest: root_block_device
#   sets encrypted to false, or leaves it out (or has no root_block_device)
#   while the configuration does not turn on EBS encryption by default
#   (aws_ebs_encryption_by_default), so the volume is encrypted only if
#   the account happens to.
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

# No encryption stated and none by default in this configuration.
deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_instance", "aws_launch_configuration"}
	count(terraform.blocks(r.values, "root_block_device")) == 0
	not by_default
	res := {"msg": sprintf("%s: no root_block_device with encrypted = true, and EBS encryption by default is not turned on here", [r.address]), "path": ["resources", i], "attribute": "root_block_device.encrypted", "expected": "true", "actual": "not set"}
}

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_instance", "aws_launch_configuration"}
	some k, b in terraform.blocks(r.values, "root_block_device")
	object.get(b, "encrypted", null) == null
	not by_default
	res := {"msg": sprintf("%s: root_block_device does not set encrypted, and EBS encryption by default is not turned on here", [r.address]), "path": ["resources", i, "values", "root_block_device", k], "attribute": "root_block_device.encrypted", "expected": "true", "actual": "not set"}
}

# by_default: the configuration turns on EBS encryption by default for
# the account and region, so new volumes are encrypted without a word.
by_default if {
	some r in input.resources
	r.mode == "managed"
	r.type == "aws_ebs_encryption_by_default"
	object.get(r.values, "enabled", true) != false
}
