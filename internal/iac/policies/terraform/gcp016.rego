# METADATA
# title: Load balancer SSL policy accepts TLS below 1.2
# description: >-
#   The SSL policy lets clients negotiate TLS 1.0 or 1.1 (TLS_1_0 is the
#   default).
# custom:
#   id: GCP016
#   severity: high
#   remediation: >-
#     Set min_tls_version = "TLS_1_2" with profile MODERN or RESTRICTED.
#   benchmark:
#   - "CIS GCP 3.9"
package airlock.terraform.gcp016

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"google_compute_ssl_policy"}
	v := object.get(r.values, "min_tls_version", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: min_tls_version is not TLS_1_2", [r.address]), "path": ["resources", i, "values", "min_tls_version"], "attribute": "min_tls_version", "expected": "TLS_1_2", "actual": terraform.show(v)}
}

ok(v) if {
	v == "TLS_1_2"
}
