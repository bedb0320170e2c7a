# METADATA
# title: Security group opens an admin port to the internet
# description: >-
#   An ingress rule allows SSH (22) or RDP (3389) from 0.0.0.0/0 or ::/0:
#   every host on the internet can try to log in.
# related_resources:
# - https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/security_group
# custom:
#   id: AWS010
#   severity: critical
#   remediation: >-
#     Allow the admin ports only from known networks (a VPN, a bastion's
#     security group), or use SSM Session Manager instead of open ports.
#   benchmark:
#   - "CIS AWS 5.2"
#   - "CIS AWS 5.3"
package airlock.terraform.aws010

import data.lib.terraform

# Inline ingress blocks of aws_security_group.
deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type == "aws_security_group"
	some k, rule in terraform.blocks(r.values, "ingress")
	some attr in ["cidr_blocks", "ipv6_cidr_blocks"]
	some c in object.get(rule, attr, [])
	terraform.open_cidr(c)
	some p in terraform.admin_ports
	terraform.covers(rule.from_port, rule.to_port, p)
	res := {"msg": sprintf("%s: port %d is open to %s", [r.address, p, c]), "path": ["resources", i, "values", "ingress", k, attr], "attribute": sprintf("ingress.%s", [attr]), "expected": "no admin port open to the internet", "actual": c}
}

# aws_security_group_rule of type ingress.
deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type == "aws_security_group_rule"
	r.values.type == "ingress"
	some attr in ["cidr_blocks", "ipv6_cidr_blocks"]
	some c in object.get(r.values, attr, [])
	terraform.open_cidr(c)
	some p in terraform.admin_ports
	terraform.covers(r.values.from_port, r.values.to_port, p)
	res := {"msg": sprintf("%s: port %d is open to %s", [r.address, p, c]), "path": ["resources", i, "values", attr], "attribute": attr, "expected": "no admin port open to the internet", "actual": c}
}

# aws_vpc_security_group_ingress_rule.
deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type == "aws_vpc_security_group_ingress_rule"
	some attr in ["cidr_ipv4", "cidr_ipv6"]
	c := r.values[attr]
	terraform.open_cidr(c)
	some p in terraform.admin_ports
	vpc_rule_covers(r.values, p)
	res := {"msg": sprintf("%s: port %d is open to %s", [r.address, p, c]), "path": ["resources", i, "values", attr], "attribute": attr, "expected": "no admin port open to the internet", "actual": c}
}

vpc_rule_covers(v, _) if v.ip_protocol == "-1"

vpc_rule_covers(v, p) if terraform.covers(v.from_port, v.to_port, p)
