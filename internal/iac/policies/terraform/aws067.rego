# METADATA
# title: ECR image tags are mutable
# description: >-
#   A pushed tag can be overwritten: the image deployed as v1.2.3 today may
#   not be the one tested.
# custom:
#   id: AWS067
#   severity: low
#   remediation: >-
#     Set image_tag_mutability = "IMMUTABLE".
package airlock.terraform.aws067

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_ecr_repository"}
	v := object.get(r.values, "image_tag_mutability", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: image_tag_mutability is not IMMUTABLE", [r.address]), "path": ["resources", i, "values", "image_tag_mutability"], "attribute": "image_tag_mutability", "expected": "IMMUTABLE", "actual": terraform.show(v)}
}

ok(v) if {
	v == "IMMUTABLE"
}
