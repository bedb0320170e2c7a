# Helpers for the cloudformation policies; custom policies may import them
# too (import data.lib.cloudformation).
package lib.cloudformation

# resources are the resources of a type, by their index in input.resources.
resources(t) := {i: r | some i, r in input.resources; r.type == t}

# unknown: a value only known once deployed, left as its intrinsic
# function ({"Ref": "Bucket"}, {"Fn::GetAtt": [...]}, an undecided Fn::If).
unknown(v) if is_object(v)

# truthy and falsy read CloudFormation's booleans, written as YAML
# booleans or as the strings "true" and "false".
truthy(v) if v == true

truthy(v) if {
	is_string(v)
	lower(v) == "true"
}

falsy(v) if v == false

falsy(v) if {
	is_string(v)
	lower(v) == "false"
}

# prop is a property of r, or null when it is not set.
prop(r, name) := object.get(r.properties, name, null)

# path is where property name of resource i is, for a finding.
path(i, name) := ["resources", i, "properties", name]

# open_cidr: a source that means the whole internet.
open_cidr(c) if c in {"0.0.0.0/0", "::/0"}

# admin_ports are the ports of remote administration.
admin_ports := {22, 3389}

# covers is true when the rule's ports include port p: protocol -1 (all)
# or a FromPort..ToPort range around it (-1 meaning all ports).
covers(rule, _) if {
	sprintf("%v", [object.get(rule, "IpProtocol", "")]) in {"-1", "all"}
}

covers(rule, p) if {
	to_number(rule.FromPort) <= p
	to_number(rule.ToPort) >= p
}

covers(rule, _) if {
	to_number(rule.FromPort) == -1
}

# all_ports is true when a rule allows every port.
all_ports(rule) if {
	sprintf("%v", [object.get(rule, "IpProtocol", "")]) in {"-1", "all"}
}

all_ports(rule) if {
	to_number(rule.FromPort) <= 0
	to_number(rule.ToPort) >= 65535
}

# ingress_rules are the ingress rules of the template with their path:
# inline SecurityGroupIngress and AWS::EC2::SecurityGroupIngress.
ingress_rules contains {"rule": rule, "path": ["resources", i, "properties", "SecurityGroupIngress", k], "address": r.address} if {
	some i, r in resources("AWS::EC2::SecurityGroup")
	some k, rule in object.get(r.properties, "SecurityGroupIngress", [])
	is_object(rule)
}

ingress_rules contains {"rule": r.properties, "path": ["resources", i, "properties"], "address": r.address} if {
	some i, r in resources("AWS::EC2::SecurityGroupIngress")
}

# source is the open CIDR a rule allows from, with its attribute.
source(rule) := {"attribute": a, "cidr": rule[a]} if {
	some a in ["CidrIp", "CidrIpv6"]
	open_cidr(rule[a])
}

# as_list makes a single value a list.
as_list(x) := x if is_array(x)

as_list(x) := [x] if not is_array(x)

# policy_documents are the IAM policy documents of the template, with
# the path to each: AWS::IAM::Policy and ManagedPolicy, and the inline
# Policies of roles, users and groups.
policy_documents contains {"doc": r.properties.PolicyDocument, "path": ["resources", i, "properties", "PolicyDocument"], "resource": r} if {
	some i, r in input.resources
	r.type in {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"}
	is_object(r.properties.PolicyDocument)
}

policy_documents contains {"doc": p.PolicyDocument, "path": ["resources", i, "properties", "Policies", k, "PolicyDocument"], "resource": r} if {
	some i, r in input.resources
	r.type in {"AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"}
	some k, p in object.get(r.properties, "Policies", [])
	is_object(p.PolicyDocument)
}

# allows are the Allow statements of a document, with their index.
allows(doc) := {k: s | some k, s in as_list(object.get(doc, "Statement", [])); object.get(s, "Effect", "") == "Allow"}

# secret_name matches names that hold credentials.
secret_name(name) if regex.match(`(?i)(passw(or)?d|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential)`, name)

# at is where a finding about property name of resource i lands: the
# property when it is written, else the resource's logical id.
at(i, r, name) := path(i, name) if prop(r, name) != null

at(i, r, name) := ["resources", i] if prop(r, name) == null

# show renders a value for a finding.
show(v) := v if is_string(v)

show(v) := json.marshal(v) if not is_string(v)

# anyone is a policy principal that means every AWS account.
anyone(p) if p == "*"

anyone(p) if {
	is_object(p)
	some x in as_list(object.get(p, "AWS", []))
	x == "*"
}

# statement_path is where statement k of a document is: a document may
# give one statement as an object rather than a list.
statement_path(doc, k) := ["Statement", k] if is_array(doc.Statement)

statement_path(doc, _) := ["Statement"] if not is_array(doc.Statement)
