# METADATA
# title: Security group allows all traffic from the internet
# description: >-
#   An ingress rule allows every protocol and port (protocol -1) from
#   0.0.0.0/0 or ::/0.
# custom:
#   id: AWS011
#   severity: critical
#   remediation: >-
#     Open only the ports the service needs, from the networks that need
#     them.
#   benchmark:
#   - "CIS AWS 5.2"
package airlock.terraform.aws011

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type == "aws_security_group"
	some k, rule in terraform.blocks(r.values, "ingress")
	sprintf("%v", [rule.protocol]) in {"-1", "all"}
	some attr in ["cidr_blocks", "ipv6_cidr_blocks"]
	some c in object.get(rule, attr, [])
	terraform.open_cidr(c)
	res := {"msg": sprintf("%s: all traffic is allowed from %s", [r.address, c]), "path": ["resources", i, "values", "ingress", k, attr], "attribute": sprintf("ingress.%s", [attr]), "expected": "only the ports needed", "actual": c}
}

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type == "aws_security_group_rule"
	r.values.type == "ingress"
	sprintf("%v", [r.values.protocol]) in {"-1", "all"}
	some attr in ["cidr_blocks", "ipv6_cidr_blocks"]
	some c in object.get(r.values, attr, [])
	terraform.open_cidr(c)
	res := {"msg": sprintf("%s: all traffic is allowed from %s", [r.address, c]), "path": ["resources", i, "values", attr], "attribute": attr, "expected": "only the ports needed", "actual": c}
}
