# METADATA
# title: S3 bucket policy allows anyone
# description: >-
#   A statement of the bucket policy allows the principal * without a
#   condition: anyone on the internet gets the actions it lists.
# custom:
#   id: CFN007
#   severity: critical
#   remediation: >-
#     Name the accounts or roles that need access as principals, or add a
#     condition (aws:SourceVpce, aws:PrincipalOrgID).
#   benchmark:
#   - "CIS AWS 2.1.4"
package airlock.cloudformation.cfn007

import data.lib.cloudformation as cfn

deny contains res if {
	some i, r in cfn.resources("AWS::S3::BucketPolicy")
	some k, s in cfn.allows(object.get(r.properties, "PolicyDocument", {}))
	cfn.anyone(object.get(s, "Principal", null))
	not s.Condition
	res := {"msg": sprintf("%s: statement %d allows anyone", [r.address, k]), "path": array.concat(array.concat(["resources", i, "properties", "PolicyDocument"], cfn.statement_path(r.properties.PolicyDocument, k)), ["Principal"]), "attribute": "PolicyDocument.Statement.Principal", "expected": "named principals or a condition", "actual": cfn.show(s.Principal)}
}
