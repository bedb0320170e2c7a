# METADATA
# title: Redshift cluster publicly accessible
# description: >-
#   The cluster gets a public endpoint reachable from the internet.
# custom:
#   id: AWS071
#   severity: high
#   remediation: >-
#     Set publicly_accessible = false.
package airlock.terraform.aws071

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_redshift_cluster"}
	v := object.get(r.values, "publicly_accessible", null)
	v != null
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: publicly_accessible is not false", [r.address]), "path": ["resources", i, "values", "publicly_accessible"], "attribute": "publicly_accessible", "expected": "false", "actual": terraform.show(v)}
}

ok(v) if {
	v != true
}
