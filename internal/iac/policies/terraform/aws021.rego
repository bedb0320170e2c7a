# METADATA
# title: RDS instance publicly accessible
# description: >-
#   The database gets a public IP address and DNS name: it can be reached from
#   the internet, limited only by its security groups.
# custom:
#   id: AWS021
#   severity: critical
#   remediation: >-
#     Set publicly_accessible = false and reach the database from inside the
#     VPC.
#   benchmark:
#   - "CIS AWS 2.3.3"
package airlock.terraform.aws021

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_db_instance"}
	v := object.get(r.values, "publicly_accessible", null)
	v != null
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: publicly_accessible is not false", [r.address]), "path": ["resources", i, "values", "publicly_accessible"], "attribute": "publicly_accessible", "expected": "false", "actual": terraform.show(v)}
}

ok(v) if {
	v != true
}
