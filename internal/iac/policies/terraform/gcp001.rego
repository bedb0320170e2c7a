# METADATA
# title: Storage bucket readable by anyone
# description: >-
#   An IAM binding or member on the bucket grants a role to allUsers or
#   allAuthenticatedUsers: its objects are public.
# custom:
#   id: GCP001
#   severity: critical
#   remediation: >-
#     Grant roles to named users, groups or service accounts only.
#   benchmark:
#   - "CIS GCP 5.1"
#   - "CIS GCP 7.1"
package airlock.terraform.gcp001

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"google_storage_bucket_iam_member", "google_storage_bucket_iam_binding", "google_bigquery_dataset_iam_member", "google_bigquery_dataset_iam_binding"}
	some attr in ["member", "members"]
	some m in members(r.values[attr])
	m in {"allUsers", "allAuthenticatedUsers"}
	res := {"msg": sprintf("%s grants %s to %s", [r.address, r.values.role, m]), "path": ["resources", i, "values", attr], "attribute": attr, "expected": "named principals", "actual": m}
}

members(v) := v if is_array(v)

members(v) := [v] if is_string(v)
