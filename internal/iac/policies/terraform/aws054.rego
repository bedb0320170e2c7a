# METADATA
# title: VPC flow logs not enabled
# description: >-
#   No aws_flow_log in the configuration refers to the VPC: rejected and
#   accepted connections are not recorded.
# custom:
#   id: AWS054
#   severity: medium
#   remediation: >-
#     Add an aws_flow_log with vpc_id set to the VPC (traffic_type = "ALL"
#     or "REJECT").
#   benchmark:
#   - "CIS AWS 3.7"
package airlock.terraform.aws054

import data.lib.terraform

deny contains res if {
	some i, v in input.resources
	v.mode == "managed"
	v.type == "aws_vpc"
	not logged(v)
	res := {"msg": sprintf("%s has no flow log", [v.address]), "path": ["resources", i], "attribute": "aws_flow_log", "expected": "a flow log for the VPC"}
}

logged(v) if {
	some r in input.resources
	r.type == "aws_flow_log"
	terraform.refers(r.values.vpc_id, v)
}
