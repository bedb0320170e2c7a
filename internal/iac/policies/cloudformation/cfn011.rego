# METADATA
# title: Security group allows all traffic from the internet
# description: >-
#   An ingress rule allows every protocol or every port from 0.0.0.0/0 or
#   ::/0.
# custom:
#   id: CFN011
#   severity: high
#   remediation: >-
#     Allow only the ports the service needs, from the networks that need
#     them.
#   benchmark:
#   - "CIS AWS 5.2"
package airlock.cloudformation.cfn011

import data.lib.cloudformation as cfn

deny contains res if {
	some x in cfn.ingress_rules
	s := cfn.source(x.rule)
	cfn.all_ports(x.rule)
	res := {"msg": sprintf("%s: all ports are open to %s", [x.address, s.cidr]), "path": array.concat(x.path, [s.attribute]), "attribute": s.attribute, "expected": "only the ports the service needs", "actual": s.cidr}
}
