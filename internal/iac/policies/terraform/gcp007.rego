# METADATA
# title: Shielded VM secure boot off
# description: >-
#   The instance boots without Secure Boot: boot-level malware is not stopped.
# custom:
#   id: GCP007
#   severity: low
#   remediation: >-
#     Set shielded_instance_config { enable_secure_boot = true }.
#   benchmark:
#   - "CIS GCP 4.8"
package airlock.terraform.gcp007

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"google_compute_instance"}
	some k, b in terraform.blocks(r.values, "shielded_instance_config")
	v := object.get(b, "enable_secure_boot", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: shielded_instance_config.enable_secure_boot is not true", [r.address]), "path": ["resources", i, "values", "shielded_instance_config", k, "enable_secure_boot"], "attribute": "shielded_instance_config.enable_secure_boot", "expected": "true", "actual": terraform.show(v)}
}

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"google_compute_instance"}
	count(terraform.blocks(r.values, "shielded_instance_config")) == 0
	res := {"msg": sprintf("%s: no shielded_instance_config block", [r.address]), "path": ["resources", i, "values", "shielded_instance_config"], "attribute": "shielded_instance_config.enable_secure_boot", "expected": "true"}
}

ok(v) if {
	v == true
}
