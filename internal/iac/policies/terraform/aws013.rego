# METADATA
# title: Default security group allows traffic
# description: >-
#   The VPC's default security group has rules: every instance launched
#   without a group gets them.
# custom:
#   id: AWS013
#   severity: medium
#   remediation: >-
#     Manage aws_default_security_group with no ingress and no egress
#     blocks, and give resources their own groups.
#   benchmark:
#   - "CIS AWS 5.4"
package airlock.terraform.aws013

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type == "aws_default_security_group"
	some kind in ["ingress", "egress"]
	some k, _ in terraform.blocks(r.values, kind)
	res := {"msg": sprintf("%s: the default security group has %s rules", [r.address, kind]), "path": ["resources", i, "values", kind, k], "attribute": kind, "expected": "no rules"}
}
