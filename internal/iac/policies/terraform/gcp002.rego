# METADATA
# title: Storage bucket without uniform bucket-level access
# description: >-
#   Object ACLs apply beside IAM: access is decided per object and hard to
#   review.
# custom:
#   id: GCP002
#   severity: medium
#   remediation: >-
#     Set uniform_bucket_level_access = true.
#   benchmark:
#   - "CIS GCP 5.2"
package airlock.terraform.gcp002

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"google_storage_bucket"}
	v := object.get(r.values, "uniform_bucket_level_access", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: uniform_bucket_level_access is not true", [r.address]), "path": ["resources", i, "values", "uniform_bucket_level_access"], "attribute": "uniform_bucket_level_access", "expected": "true", "actual": terraform.show(v)}
}

ok(v) if {
	v == true
}
