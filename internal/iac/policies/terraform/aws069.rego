# METADATA
# title: EKS secrets not encrypted with KMS
# description: >-
#   The cluster has no encryption_config: Kubernetes secrets are stored in
#   etcd without envelope encryption under your key.
# custom:
#   id: AWS069
#   severity: medium
#   remediation: >-
#     Add encryption_config { resources = ["secrets"] provider { key_arn =
#     aws_kms_key.eks.arn } }.
#   benchmark:
#   - "CIS EKS 5.3.1"
package airlock.terraform.aws069

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type == "aws_eks_cluster"
	count(terraform.blocks(r.values, "encryption_config")) == 0
	res := {"msg": sprintf("%s has no encryption_config", [r.address]), "path": ["resources", i, "values", "encryption_config"], "attribute": "encryption_config", "expected": "secrets encrypted with a KMS key"}
}
