# METADATA
# title: Load balancer accepts TLS below 1.2
# description: >-
#   An HTTPS or TLS listener's security policy (or the default
#   ELBSecurityPolicy-2016-08 when none is set) accepts TLS 1.0 or 1.1.
# custom:
#   id: CFN056
#   severity: high
#   remediation: >-
#     Set SslPolicy to ELBSecurityPolicy-TLS13-1-2-2021-06 (or another TLS
#     1.2+ policy).
package airlock.cloudformation.cfn056

import data.lib.cloudformation as cfn

deny contains res if {
	some i, r in cfn.resources("AWS::ElasticLoadBalancingV2::Listener")
	cfn.prop(r, "Protocol") in {"HTTPS", "TLS"}
	v := object.get(r.properties, "SslPolicy", "ELBSecurityPolicy-2016-08")
	not cfn.unknown(v)
	not regex.match(`TLS13|TLS-1-2|FS-1-2`, v)
	res := {"msg": sprintf("%s: SslPolicy %s accepts TLS below 1.2", [r.address, v]), "path": where(i, r), "attribute": "SslPolicy", "expected": "a TLS 1.2+ policy", "actual": v}
}

where(i, r) := cfn.path(i, "SslPolicy") if cfn.prop(r, "SslPolicy") != null

where(i, r) := cfn.path(i, "Protocol") if cfn.prop(r, "SslPolicy") == null
