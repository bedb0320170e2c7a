# METADATA
# title: IAM role can be assumed by anyone
# description: >-
#   The role's trust policy allows the principal * (or AWS *) without a
#   condition: any AWS account can assume it.
# custom:
#   id: CFN045
#   severity: critical
#   remediation: >-
#     Name the accounts, services or roles that may assume the role, or add
#     a condition such as sts:ExternalId or aws:PrincipalOrgID.
package airlock.cloudformation.cfn045

import data.lib.cloudformation as cfn

deny contains res if {
	some i, r in cfn.resources("AWS::IAM::Role")
	some k, s in cfn.allows(object.get(r.properties, "AssumeRolePolicyDocument", {}))
	cfn.anyone(object.get(s, "Principal", null))
	not s.Condition
	res := {"msg": sprintf("%s: anyone can assume the role", [r.address]), "path": array.concat(array.concat(["resources", i, "properties", "AssumeRolePolicyDocument"], cfn.statement_path(r.properties.AssumeRolePolicyDocument, k)), ["Principal"]), "attribute": "AssumeRolePolicyDocument.Statement.Principal", "expected": "named principals or a condition", "actual": cfn.show(s.Principal)}
}
