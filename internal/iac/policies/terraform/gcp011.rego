# METADATA
# title: KMS key rotated rarely or never
# description: >-
#   The crypto key has no rotation period, or one longer than 90 days.
# custom:
#   id: GCP011
#   severity: medium
#   remediation: >-
#     Set rotation_period = "7776000s" (90 days) or shorter.
#   benchmark:
#   - "CIS GCP 1.10"
package airlock.terraform.gcp011

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type == "google_kms_crypto_key"
	object.get(r.values, "purpose", "ENCRYPT_DECRYPT") == "ENCRYPT_DECRYPT"
	v := object.get(r.values, "rotation_period", "")
	not terraform.unknown(v)
	not short(v)
	res := {"msg": sprintf("%s: rotation period %v", [r.address, v]), "path": ["resources", i, "values", "rotation_period"], "attribute": "rotation_period", "expected": "7776000s (90 days) or less", "actual": v}
}

short(v) if {
	endswith(v, "s")
	to_number(trim_suffix(v, "s")) <= 7776000
}
