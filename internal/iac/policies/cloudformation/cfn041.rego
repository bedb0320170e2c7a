# METADATA
# title: IAM policy allows every action of a service
# description: >-
#   A policy statement allows a whole service (s3:*, iam:*): far more than a
#   workload needs, including deleting and re-permissioning.
# custom:
#   id: CFN041
#   severity: medium
#   remediation: >-
#     List the actions the role uses instead of service:*.
package airlock.cloudformation.cfn041

import data.lib.cloudformation as cfn

deny contains res if {
	some x in cfn.policy_documents
	some k, s in cfn.allows(x.doc)
	some a in cfn.as_list(object.get(s, "Action", []))
	is_string(a)
	endswith(a, ":*")
	res := {"msg": sprintf("%s: statement %d allows %s", [x.resource.address, k, a]), "path": array.concat(array.concat(x.path, cfn.statement_path(x.doc, k)), ["Action"]), "attribute": "PolicyDocument.Statement.Action", "expected": "named actions", "actual": a}
}
