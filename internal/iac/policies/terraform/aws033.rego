# METADATA
# title: EC2 instance metadata service v1 allowed
# description: >-
#   IMDSv1 answers any request from the instance: a server-side request
#   forgery in the application hands out the instance role's credentials.
# custom:
#   id: AWS033
#   severity: high
#   remediation: >-
#     Set metadata_options { http_tokens = "required" }.
#   benchmark:
#   - "CIS AWS 5.6"
package airlock.terraform.aws033

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_instance", "aws_launch_template"}
	some k, b in terraform.blocks(r.values, "metadata_options")
	v := object.get(b, "http_tokens", null)
	not terraform.unknown(v)
	not ok(v)
	res := {"msg": sprintf("%s: metadata_options.http_tokens is not required", [r.address]), "path": ["resources", i, "values", "metadata_options", k, "http_tokens"], "attribute": "metadata_options.http_tokens", "expected": "required", "actual": terraform.show(v)}
}

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"aws_instance", "aws_launch_template"}
	count(terraform.blocks(r.values, "metadata_options")) == 0
	res := {"msg": sprintf("%s: no metadata_options block", [r.address]), "path": ["resources", i, "values", "metadata_options"], "attribute": "metadata_options.http_tokens", "expected": "required"}
}

ok(v) if {
	v == "required"
}
