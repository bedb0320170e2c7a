# METADATA
# title: OpenSearch domain accepts plain HTTP
# description: >-
#   The domain endpoint accepts requests over HTTP.
# custom:
#   id: AWS062
#   severity: high
#   remediation: >-
#     Set domain_endpoint_options { enforce_https = true,
#     tls_security_policy = "Policy-Min-TLS-1-2-2019-07" }.
package airlock.terraform.aws062

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_opensearch_domain", "aws_elasticsearch_domain"}
	some k, b in terraform.blocks(r.values, "domain_endpoint_options")
	v := object.get(b, "enforce_https", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: domain_endpoint_options.enforce_https is not true", [r.address]), "path": ["resources", i, "values", "domain_endpoint_options", k, "enforce_https"], "attribute": "domain_endpoint_options.enforce_https", "expected": "true", "actual": terraform.show(v)}
}

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_opensearch_domain", "aws_elasticsearch_domain"}
	count(terraform.blocks(r.values, "domain_endpoint_options")) == 0
	res := {"msg": sprintf("%s: no domain_endpoint_options block", [r.address]), "path": ["resources", i, "values", "domain_endpoint_options"], "attribute": "domain_endpoint_options.enforce_https", "expected": "true"}
}

ok(v) if {
	v == true
}
