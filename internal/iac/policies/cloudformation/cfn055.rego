# METADATA
# title: Load balancer listener serves plain HTTP
# description: >-
#   A listener accepts plain HTTP without redirecting to HTTPS: traffic,
#   cookies and credentials cross the network unencrypted.
# custom:
#   id: CFN055
#   severity: high
#   remediation: >-
#     Use Protocol HTTPS (with a certificate), or make the HTTP listener
#     redirect to HTTPS.
package airlock.cloudformation.cfn055

import data.lib.cloudformation as cfn

deny contains res if {
	some i, r in cfn.resources("AWS::ElasticLoadBalancingV2::Listener")
	cfn.prop(r, "Protocol") == "HTTP"
	not redirects(r)
	res := {"msg": sprintf("%s: plain HTTP without a redirect", [r.address]), "path": cfn.path(i, "Protocol"), "attribute": "Protocol", "expected": "HTTPS, or a redirect to HTTPS", "actual": "HTTP"}
}

deny contains res if {
	some i, r in cfn.resources("AWS::ElasticLoadBalancing::LoadBalancer")
	some k, l in object.get(r.properties, "Listeners", [])
	upper(object.get(l, "Protocol", "")) == "HTTP"
	res := {"msg": sprintf("%s: listener on port %v is plain HTTP", [r.address, object.get(l, "LoadBalancerPort", "")]), "path": ["resources", i, "properties", "Listeners", k, "Protocol"], "attribute": "Listeners.Protocol", "expected": "HTTPS", "actual": "HTTP"}
}

redirects(r) if {
	some a in object.get(r.properties, "DefaultActions", [])
	a.Type == "redirect"
	a.RedirectConfig.Protocol == "HTTPS"
}
