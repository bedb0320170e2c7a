# METADATA
# title: Security group opens an admin port to the internet
# description: >-
#   An ingress rule allows SSH (22) or RDP (3389) from 0.0.0.0/0 or ::/0:
#   every host on the internet can try to log in.
# custom:
#   id: CFN010
#   severity: critical
#   remediation: >-
#     Allow the admin ports only from known networks (a VPN, a bastion
#     security group), or use SSM Session Manager instead of open ports.
#   benchmark:
#   - "CIS AWS 5.2"
#   - "CIS AWS 5.3"
package airlock.cloudformation.cfn010

import data.lib.cloudformation as cfn

deny contains res if {
	some x in cfn.ingress_rules
	s := cfn.source(x.rule)
	some p in cfn.admin_ports
	cfn.covers(x.rule, p)
	res := {"msg": sprintf("%s: port %d is open to %s", [x.address, p, s.cidr]), "path": array.concat(x.path, [s.attribute]), "attribute": s.attribute, "expected": "no admin port open to the internet", "actual": s.cidr}
}
