# METADATA
# title: Instance uses the default service account with full access
# description: >-
#   The instance runs as the Compute Engine default service account with the
#   cloud-platform scope: it can call every API the project's Editor role
#   allows.
# custom:
#   id: GCP006
#   severity: high
#   remediation: >-
#     Create a service account with the roles the workload needs and use it;
#     avoid the cloud-platform scope on the default account.
#   benchmark:
#   - "CIS GCP 4.1"
#   - "CIS GCP 4.2"
package airlock.terraform.gcp006

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"google_compute_instance", "google_compute_instance_template"}
	some k, sa in terraform.blocks(r.values, "service_account")
	default_account(object.get(sa, "email", ""))
	some s in object.get(sa, "scopes", [])
	s in {"cloud-platform", "https://www.googleapis.com/auth/cloud-platform"}
	res := {"msg": sprintf("%s: the default service account has the cloud-platform scope", [r.address]), "path": ["resources", i, "values", "service_account", k, "scopes"], "attribute": "service_account.scopes", "expected": "a dedicated service account", "actual": s}
}

default_account(e) if e == ""

default_account(e) if endswith(e, "-compute@developer.gserviceaccount.com")
