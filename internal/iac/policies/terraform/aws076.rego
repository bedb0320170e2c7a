# METADATA
# title: Lambda function URL without authentication
# description: >-
#   Anyone who knows the function URL can invoke the function.
# custom:
#   id: AWS076
#   severity: high
#   remediation: >-
#     Set authorization_type = "AWS_IAM", or authenticate in the function
#     and say so with an inline ignore.
package airlock.terraform.aws076

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_lambda_function_url"}
	v := object.get(r.values, "authorization_type", null)
	v != null
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: authorization_type is not AWS_IAM", [r.address]), "path": ["resources", i, "values", "authorization_type"], "attribute": "authorization_type", "expected": "AWS_IAM", "actual": terraform.show(v)}
}

ok(v) if {
	v != "NONE"
}
