# METADATA
# title: Load balancer listener serves plain HTTP
# description: >-
#   An HTTP listener forwards traffic instead of redirecting to HTTPS:
#   requests and session cookies cross the network unencrypted.
# custom:
#   id: AWS055
#   severity: high
#   remediation: >-
#     Listen on HTTPS, and make the HTTP listener's default action a
#     redirect to HTTPS.
package airlock.terraform.aws055

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_lb_listener", "aws_alb_listener"}
	r.values.protocol == "HTTP"
	not redirects(r.values)
	res := {"msg": sprintf("%s forwards plain HTTP", [r.address]), "path": ["resources", i, "values", "protocol"], "attribute": "protocol", "expected": "HTTPS, or a redirect to HTTPS", "actual": "HTTP"}
}

redirects(v) if {
	some a in terraform.blocks(v, "default_action")
	a.type == "redirect"
}
