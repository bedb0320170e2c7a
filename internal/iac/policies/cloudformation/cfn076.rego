# METADATA
# title: Lambda environment holds a secret
# description: >-
#   An environment variable whose name says it is a credential (password,
#   secret, token, key) has a value written in the template: it is readable
#   by anyone who can read the template, the stack or the function's
#   configuration.
# custom:
#   id: CFN076
#   severity: high
#   remediation: >-
#     Read the secret at run time from Secrets Manager or SSM Parameter
#     Store, or pass a dynamic reference ({{resolve:secretsmanager:...}}).
package airlock.cloudformation.cfn076

import data.lib.cloudformation as cfn

deny contains res if {
	some i, r in input.resources
	r.type in {"AWS::Lambda::Function", "AWS::Serverless::Function"}
	vars := object.get(object.get(r.properties, "Environment", {}), "Variables", {})
	some name, v in vars
	cfn.secret_name(name)
	is_string(v)
	v != ""
	not contains(v, "{{resolve:")
	res := {"msg": sprintf("%s: environment variable %s holds a literal secret", [r.address, name]), "path": ["resources", i, "properties", "Environment", "Variables", name], "attribute": sprintf("Environment.Variables.%s", [name]), "expected": "a reference to Secrets Manager or SSM", "actual": "a literal value"}
}
