# METADATA
# title: GKE control plane open to all networks
# description: >-
#   The cluster has no master_authorized_networks_config: its API endpoint
#   accepts connections from any address.
# custom:
#   id: GCP017
#   severity: medium
#   remediation: >-
#     Add master_authorized_networks_config with the networks that
#     administer the cluster, or make the endpoint private.
#   benchmark:
#   - "CIS GKE 5.6.3"
package airlock.terraform.gcp017

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type == "google_container_cluster"
	count(terraform.blocks(r.values, "master_authorized_networks_config")) == 0
	res := {"msg": sprintf("%s: the API endpoint accepts any address", [r.address]), "path": ["resources", i, "values", "master_authorized_networks_config"], "attribute": "master_authorized_networks_config", "expected": "authorized networks"}
}
