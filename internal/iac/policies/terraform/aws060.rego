# METADATA
# title: OpenSearch domain not encrypted at rest
# description: >-
#   The domain's indices, logs and snapshots are not encrypted at rest.
# custom:
#   id: AWS060
#   severity: high
#   remediation: >-
#     Set encrypt_at_rest { enabled = true }.
package airlock.terraform.aws060

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_opensearch_domain", "aws_elasticsearch_domain"}
	some k, b in terraform.blocks(r.values, "encrypt_at_rest")
	v := object.get(b, "enabled", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: encrypt_at_rest.enabled is not true", [r.address]), "path": ["resources", i, "values", "encrypt_at_rest", k, "enabled"], "attribute": "encrypt_at_rest.enabled", "expected": "true", "actual": terraform.show(v)}
}

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_opensearch_domain", "aws_elasticsearch_domain"}
	count(terraform.blocks(r.values, "encrypt_at_rest")) == 0
	res := {"msg": sprintf("%s: no encrypt_at_rest block", [r.address]), "path": ["resources", i, "values", "encrypt_at_rest"], "attribute": "encrypt_at_rest.enabled", "expected": "true"}
}

ok(v) if {
	v == true
}
