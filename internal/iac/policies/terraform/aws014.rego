# METADATA
# title: Network ACL allows admin ports from the internet
# description: >-
#   A network ACL rule allows inbound traffic from 0.0.0.0/0 or ::/0 to SSH
#   (22) or RDP (3389).
# custom:
#   id: AWS014
#   severity: high
#   remediation: >-
#     Allow admin ports in network ACLs only from known networks.
#   benchmark:
#   - "CIS AWS 5.1"
package airlock.terraform.aws014

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type == "aws_network_acl_rule"
	not r.values.egress == true
	r.values.rule_action == "allow"
	some attr in ["cidr_block", "ipv6_cidr_block"]
	c := r.values[attr]
	terraform.open_cidr(c)
	some p in terraform.admin_ports
	acl_covers(r.values, p)
	res := {"msg": sprintf("%s: port %d is allowed from %s", [r.address, p, c]), "path": ["resources", i, "values", attr], "attribute": attr, "expected": "no admin port open to the internet", "actual": c}
}

acl_covers(v, _) if sprintf("%v", [v.protocol]) in {"-1", "all"}

acl_covers(v, p) if terraform.covers(v.from_port, v.to_port, p)
