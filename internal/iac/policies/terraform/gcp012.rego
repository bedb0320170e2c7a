# METADATA
# title: Subnet without flow logs
# description: >-
#   The subnetwork has no log_config: connections to and from its VMs are not
#   recorded.
# custom:
#   id: GCP012
#   severity: low
#   remediation: >-
#     Add log_config { aggregation_interval = "INTERVAL_5_SEC",
#     flow_sampling = 0.5, metadata = "INCLUDE_ALL_METADATA" }.
#   benchmark:
#   - "CIS GCP 3.8"
package airlock.terraform.gcp012

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type == "google_compute_subnetwork"
	not object.get(r.values, "purpose", "PRIVATE") in {"REGIONAL_MANAGED_PROXY", "GLOBAL_MANAGED_PROXY", "INTERNAL_HTTPS_LOAD_BALANCER", "PRIVATE_SERVICE_CONNECT"}
	count(terraform.blocks(r.values, "log_config")) == 0
	res := {"msg": sprintf("%s has no flow logs", [r.address]), "path": ["resources", i, "values", "log_config"], "attribute": "log_config", "expected": "flow logs"}
}
