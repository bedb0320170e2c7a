# METADATA
# title: EBS or RDS snapshot shared publicly
# description: >-
#   A snapshot permission shares the snapshot with all AWS accounts: anyone
#   can create a volume or database from it.
# custom:
#   id: AWS036
#   severity: critical
#   remediation: >-
#     Share snapshots only with named account IDs.
package airlock.terraform.aws036

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_snapshot_create_volume_permission", "aws_ami_launch_permission"}
	some attr in ["account_id", "group"]
	r.values[attr] == "all"
	res := {"msg": sprintf("%s: shared with all accounts", [r.address]), "path": ["resources", i, "values", attr], "attribute": attr, "expected": "a named account ID", "actual": "all"}
}

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_db_snapshot", "aws_db_cluster_snapshot"}
	"all" in object.get(r.values, "shared_accounts", [])
	res := {"msg": sprintf("%s: shared with all accounts", [r.address]), "path": ["resources", i, "values", "shared_accounts"], "attribute": "shared_accounts", "expected": "named account IDs", "actual": "all"}
}
