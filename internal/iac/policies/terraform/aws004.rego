# METADATA
# title: S3 bucket versioning not enabled
# description: >-
#   Versioning is suspended or disabled: an overwritten or deleted object
#   cannot be recovered, and ransomware that overwrites a bucket wins.
# custom:
#   id: AWS004
#   severity: medium
#   remediation: >-
#     Set versioning_configuration { status = "Enabled" } in
#     aws_s3_bucket_versioning.
#   benchmark:
#   - "CIS AWS 2.1.3"
package airlock.terraform.aws004

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type == "aws_s3_bucket_versioning"
	some k, c in terraform.blocks(r.values, "versioning_configuration")
	v := object.get(c, "status", "")
	not terraform.unknown(v)
	v != "Enabled"
	res := {"msg": sprintf("%s: versioning is %s", [r.address, v]), "path": ["resources", i, "values", "versioning_configuration", k, "status"], "attribute": "versioning_configuration.status", "expected": "Enabled", "actual": v}
}

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type == "aws_s3_bucket"
	some k, c in terraform.blocks(r.values, "versioning")
	c.enabled == false
	res := {"msg": sprintf("%s: versioning is disabled", [r.address]), "path": ["resources", i, "values", "versioning", k, "enabled"], "attribute": "versioning.enabled", "expected": "true", "actual": "false"}
}
