# METADATA
# title: CloudFront accepts TLS below 1.2
# description: >-
#   The distribution accepts viewers on SSLv3, TLS 1.0 or TLS 1.1.
# custom:
#   id: AWS058
#   severity: high
#   remediation: >-
#     Set minimum_protocol_version = "TLSv1.2_2021" with a custom
#     certificate.
package airlock.terraform.aws058

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_cloudfront_distribution"}
	some k, b in terraform.blocks(r.values, "viewer_certificate")
	v := object.get(b, "minimum_protocol_version", null)
	v != null
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: viewer_certificate.minimum_protocol_version is not TLSv1.2_2021", [r.address]), "path": ["resources", i, "values", "viewer_certificate", k, "minimum_protocol_version"], "attribute": "viewer_certificate.minimum_protocol_version", "expected": "TLSv1.2_2021", "actual": terraform.show(v)}
}

ok(v) if {
	not v in {"SSLv3", "TLSv1", "TLSv1_2016", "TLSv1.1_2016"}
}
