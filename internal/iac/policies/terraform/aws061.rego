# METADATA
# title: OpenSearch node-to-node encryption disabled
# description: >-
#   Traffic between the domain's nodes is not encrypted.
# custom:
#   id: AWS061
#   severity: high
#   remediation: >-
#     Set node_to_node_encryption { enabled = true }.
package airlock.terraform.aws061

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_opensearch_domain", "aws_elasticsearch_domain"}
	some k, b in terraform.blocks(r.values, "node_to_node_encryption")
	v := object.get(b, "enabled", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: node_to_node_encryption.enabled is not true", [r.address]), "path": ["resources", i, "values", "node_to_node_encryption", k, "enabled"], "attribute": "node_to_node_encryption.enabled", "expected": "true", "actual": terraform.show(v)}
}

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_opensearch_domain", "aws_elasticsearch_domain"}
	count(terraform.blocks(r.values, "node_to_node_encryption")) == 0
	res := {"msg": sprintf("%s: no node_to_node_encryption block", [r.address]), "path": ["resources", i, "values", "node_to_node_encryption"], "attribute": "node_to_node_encryption.enabled", "expected": "true"}
}

ok(v) if {
	v == true
}
