# METADATA
# title: S3 bucket versioning not enabled
# description: >-
#   Without versioning an overwritten or deleted object cannot be recovered.
# custom:
#   id: CFN004
#   severity: medium
#   remediation: >-
#     Set VersioningConfiguration.Status to Enabled.
#   benchmark:
#   - "CIS AWS 2.1.3"
package airlock.cloudformation.cfn004

import data.lib.cloudformation as cfn

deny contains res if {
	some i, r in cfn.resources("AWS::S3::Bucket")
	v := object.get(object.get(r.properties, "VersioningConfiguration", {}), "Status", null)
	not cfn.unknown(v)
	v != "Enabled"
	res := {"msg": sprintf("%s: versioning is not enabled", [r.address]), "path": where(i, r), "attribute": "VersioningConfiguration.Status", "expected": "Enabled", "actual": cfn.show(v)}
}

where(i, r) := array.concat(cfn.path(i, "VersioningConfiguration"), ["Status"]) if cfn.prop(r, "VersioningConfiguration") != null

where(i, r) := ["resources", i] if cfn.prop(r, "VersioningConfiguration") == null
