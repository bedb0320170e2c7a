# METADATA
# title: API Gateway method without authorization
# description: >-
#   The method can be called without any authorization.
# custom:
#   id: AWS077
#   severity: medium
#   remediation: >-
#     Set authorization to AWS_IAM, COGNITO_USER_POOLS or CUSTOM with an
#     authorizer.
package airlock.terraform.aws077

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_api_gateway_method"}
	v := object.get(r.values, "authorization", null)
	v != null
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: authorization is not AWS_IAM, COGNITO_USER_POOLS or CUSTOM", [r.address]), "path": ["resources", i, "values", "authorization"], "attribute": "authorization", "expected": "AWS_IAM, COGNITO_USER_POOLS or CUSTOM", "actual": terraform.show(v)}
}

ok(v) if {
	v != "NONE"
}
