# METADATA
# title: IAM policy grants full administrator access
# description: >-
#   A policy statement allows every action (*) on every resource (*):
#   whoever holds it controls the account.
# custom:
#   id: CFN040
#   severity: critical
#   remediation: >-
#     Grant only the actions and resources the role needs; use AWS managed
#     job-function policies as a start.
#   benchmark:
#   - "CIS AWS 1.16"
package airlock.cloudformation.cfn040

import data.lib.cloudformation as cfn

deny contains res if {
	some x in cfn.policy_documents
	some k, s in cfn.allows(x.doc)
	"*" in cfn.as_list(object.get(s, "Action", []))
	"*" in cfn.as_list(object.get(s, "Resource", []))
	res := {"msg": sprintf("%s: statement %d allows * on *", [x.resource.address, k]), "path": array.concat(array.concat(x.path, cfn.statement_path(x.doc, k)), ["Action"]), "attribute": "PolicyDocument.Statement.Action", "expected": "named actions", "actual": "*"}
}
