# METADATA
# title: EC2 instance gets a public IP address
# description: >-
#   The instance is reachable from the internet directly, limited only by its
#   security groups.
# custom:
#   id: AWS034
#   severity: medium
#   remediation: >-
#     Put instances in private subnets behind a load balancer or NAT; set
#     associate_public_ip_address = false.
package airlock.terraform.aws034

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_instance", "aws_launch_configuration"}
	v := object.get(r.values, "associate_public_ip_address", null)
	v != null
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: associate_public_ip_address is not false", [r.address]), "path": ["resources", i, "values", "associate_public_ip_address"], "attribute": "associate_public_ip_address", "expected": "false", "actual": terraform.show(v)}
}

ok(v) if {
	v != true
}
