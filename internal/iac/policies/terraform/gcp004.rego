# METADATA
# title: Compute instance has a public IP address
# description: >-
#   A network interface has an access_config: the instance gets an external IP
#   reachable from the internet.
# custom:
#   id: GCP004
#   severity: medium
#   remediation: >-
#     Remove access_config and reach the instance through IAP, a load
#     balancer or Cloud NAT.
#   benchmark:
#   - "CIS GCP 4.9"
package airlock.terraform.gcp004

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"google_compute_instance", "google_compute_instance_template"}
	some k, nic in terraform.blocks(r.values, "network_interface")
	some j, _ in terraform.blocks(nic, "access_config")
	res := {"msg": sprintf("%s has an external IP", [r.address]), "path": ["resources", i, "values", "network_interface", k, "access_config", j], "attribute": "network_interface.access_config", "expected": "no external IP"}
}
