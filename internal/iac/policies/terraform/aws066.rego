# METADATA
# title: ECR image scanning on push disabled
# description: >-
#   Images pushed to the repository are not scanned for known vulnerabilities.
# custom:
#   id: AWS066
#   severity: low
#   remediation: >-
#     Set image_scanning_configuration { scan_on_push = true }, or turn on
#     registry-level enhanced scanning.
package airlock.terraform.aws066

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_ecr_repository"}
	some k, b in terraform.blocks(r.values, "image_scanning_configuration")
	v := object.get(b, "scan_on_push", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: image_scanning_configuration.scan_on_push is not true", [r.address]), "path": ["resources", i, "values", "image_scanning_configuration", k, "scan_on_push"], "attribute": "image_scanning_configuration.scan_on_push", "expected": "true", "actual": terraform.show(v)}
}

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_ecr_repository"}
	count(terraform.blocks(r.values, "image_scanning_configuration")) == 0
	res := {"msg": sprintf("%s: no image_scanning_configuration block", [r.address]), "path": ["resources", i, "values", "image_scanning_configuration"], "attribute": "image_scanning_configuration.scan_on_push", "expected": "true"}
}

ok(v) if {
	v == true
}
