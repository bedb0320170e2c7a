# METADATA
# title: CloudFront allows plain HTTP
# description: >-
#   Viewers may use HTTP: content and cookies cross the internet unencrypted.
# custom:
#   id: AWS057
#   severity: high
#   remediation: >-
#     Set viewer_protocol_policy = "redirect-to-https" (or "https-only").
package airlock.terraform.aws057

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_cloudfront_distribution"}
	some k, b in terraform.blocks(r.values, "default_cache_behavior")
	v := object.get(b, "viewer_protocol_policy", null)
	v != null
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: default_cache_behavior.viewer_protocol_policy is not redirect-to-https or https-only", [r.address]), "path": ["resources", i, "values", "default_cache_behavior", k, "viewer_protocol_policy"], "attribute": "default_cache_behavior.viewer_protocol_policy", "expected": "redirect-to-https or https-only", "actual": terraform.show(v)}
}

ok(v) if {
	v != "allow-all"
}
