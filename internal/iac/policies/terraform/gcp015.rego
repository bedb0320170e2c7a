# METADATA
# title: VPC network creates subnets automatically
# description: >-
#   An auto-mode network creates a subnet in every region with predictable
#   ranges, and the default firewall habits that come with it.
# custom:
#   id: GCP015
#   severity: low
#   remediation: >-
#     Set auto_create_subnetworks = false and create the subnets needed.
#   benchmark:
#   - "CIS GCP 3.1"
package airlock.terraform.gcp015

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"google_compute_network"}
	v := object.get(r.values, "auto_create_subnetworks", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: auto_create_subnetworks is not false", [r.address]), "path": ["resources", i, "values", "auto_create_subnetworks"], "attribute": "auto_create_subnetworks", "expected": "false", "actual": terraform.show(v)}
}

ok(v) if {
	v == false
}
