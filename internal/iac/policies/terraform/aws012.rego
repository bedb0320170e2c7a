# METADATA
# title: Security group rule has no description
# description: >-
#   A security group or rule has no description: reviewers cannot tell why the
#   opening exists.
# custom:
#   id: AWS012
#   severity: low
#   remediation: >-
#     Give every security group and rule a description saying what it is
#     for.
package airlock.terraform.aws012

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_security_group", "aws_security_group_rule", "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"}
	object.get(r.values, "description", "") == ""
	res := {"msg": sprintf("%s has no description", [r.address]), "path": ["resources", i, "values", "description"], "attribute": "description", "expected": "a description"}
}
