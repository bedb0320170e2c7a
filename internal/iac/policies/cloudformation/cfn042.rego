# METADATA
# title: IAM policy attached to a user
# description: >-
#   Permissions are given to an IAM user directly (inline Policies,
#   ManagedPolicyArns, or a policy's Users) rather than through groups or
#   roles, which makes them hard to review and revoke.
# custom:
#   id: CFN042
#   severity: low
#   remediation: >-
#     Attach policies to groups (or roles) and make users members of the
#     groups.
#   benchmark:
#   - "CIS AWS 1.15"
package airlock.cloudformation.cfn042

import data.lib.cloudformation as cfn

deny contains res if {
	some i, r in cfn.resources("AWS::IAM::User")
	some a in ["Policies", "ManagedPolicyArns"]
	count(cfn.as_list(object.get(r.properties, a, []))) > 0
	res := {"msg": sprintf("%s: %s attached to the user", [r.address, a]), "path": cfn.path(i, a), "attribute": a, "expected": "policies on groups", "actual": "set"}
}

deny contains res if {
	some i, r in input.resources
	r.type in {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"}
	count(cfn.as_list(object.get(r.properties, "Users", []))) > 0
	res := {"msg": sprintf("%s: attached to users", [r.address]), "path": cfn.path(i, "Users"), "attribute": "Users", "expected": "Groups or Roles", "actual": "set"}
}
