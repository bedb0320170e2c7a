# METADATA
# title: EKS API endpoint open to the internet
# description: >-
#   The cluster's public API endpoint accepts connections from 0.0.0.0/0 (the
#   default when public_access_cidrs is not set).
# custom:
#   id: AWS068
#   severity: high
#   remediation: >-
#     Set endpoint_public_access = false (private endpoint), or limit
#     public_access_cidrs to known networks.
#   benchmark:
#   - "CIS EKS 5.4.2"
package airlock.terraform.aws068

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type == "aws_eks_cluster"
	some k, vpc in terraform.blocks(r.values, "vpc_config")
	object.get(vpc, "endpoint_public_access", true) == true
	cidrs := object.get(vpc, "public_access_cidrs", ["0.0.0.0/0"])
	is_array(cidrs)
	some c in cidrs
	terraform.open_cidr(c)
	res := {"msg": sprintf("%s: the API endpoint is open to %s", [r.address, c]), "path": ["resources", i, "values", "vpc_config", k, "public_access_cidrs"], "attribute": "vpc_config.public_access_cidrs", "expected": "known networks, or a private endpoint", "actual": c}
}
