# METADATA
# title: Primitive role granted in a project
# description: >-
#   A project IAM binding grants roles/owner or roles/editor: thousands of
#   permissions to one principal.
# custom:
#   id: GCP014
#   severity: medium
#   remediation: >-
#     Grant predefined or custom roles with the permissions the principal
#     needs.
#   benchmark:
#   - "CIS GCP 1.5"
package airlock.terraform.gcp014

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"google_project_iam_member", "google_project_iam_binding"}
	r.values.role in {"roles/owner", "roles/editor"}
	res := {"msg": sprintf("%s grants %s", [r.address, r.values.role]), "path": ["resources", i, "values", "role"], "attribute": "role", "expected": "a predefined or custom role", "actual": r.values.role}
}
