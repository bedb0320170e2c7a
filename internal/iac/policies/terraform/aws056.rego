# METADATA
# title: Load balancer accepts TLS below 1.2
# description: >-
#   The listener's security policy still accepts TLS 1.0 or 1.1.
# custom:
#   id: AWS056
#   severity: high
#   remediation: >-
#     Use ssl_policy = "ELBSecurityPolicy-TLS13-1-2-2021-06" or another
#     policy without TLS 1.0/1.1.
package airlock.terraform.aws056

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_lb_listener", "aws_alb_listener"}
	v := object.get(r.values, "ssl_policy", null)
	v != null
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: ssl_policy is not a TLS 1.2+ policy (ELBSecurityPolicy-TLS13-1-2-2021-06)", [r.address]), "path": ["resources", i, "values", "ssl_policy"], "attribute": "ssl_policy", "expected": "a TLS 1.2+ policy (ELBSecurityPolicy-TLS13-1-2-2021-06)", "actual": terraform.show(v)}
}

ok(v) if {
	not regex.match(`(TLS-1-0|TLS-1-1|2015-05|2016-08|TLS-1-0-2015|FS-2018-06|FS-1-1)`, v)
}
