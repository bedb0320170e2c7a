# Helpers for the terraform policies; custom policies may import them too
# (import data.lib.terraform).
package lib.terraform

# unknown: a value that cannot be known without running Terraform (another
# resource's attribute, a variable without a value): "${expression}".
unknown(v) if {
	is_string(v)
	startswith(v, "${")
}

# blocks are the nested blocks called name, as a list: HCL gives a list
# of objects, a .tf.json file may give one object.
default blocks(_, _) := []

blocks(values, name) := values[name] if is_array(values[name])

blocks(values, name) := [values[name]] if is_object(values[name])

# managed are the resources of a type, by their index in input.resources.
managed(t) := {i: r | some i, r in input.resources; r.type == t; r.mode == "managed"}

# refers is true when value v (an attribute that names another resource)
# names resource r: by reference ("${aws_s3_bucket.data.id}") in the same
# module, or by the literal name or id it was given.
refers(v, r) if {
	is_string(v)
	contains(v, sprintf("%s.%s.", [r.type, r.name]))
}

refers(v, r) if {
	is_string(v)
	contains(v, sprintf("%s.%s[", [r.type, r.name]))
}

refers(v, r) if {
	is_string(v)
	some attr in ["bucket", "id", "name"]
	v == r.values[attr]
}

# open_cidr: a source that means the whole internet.
open_cidr(c) if c in {"0.0.0.0/0", "::/0", "*", "0.0.0.0", "Internet", "internet", "Any", "any"}

# admin_ports are the ports of remote administration.
admin_ports := {22, 3389}

# covers is true when the port range from..to includes port p; a range of
# all ports (0..0 with protocol -1, or 0..65535) covers every port.
covers(from, to, p) if {
	to_number(from) <= p
	to_number(to) >= p
}

covers(from, to, _) if {
	to_number(from) == 0
	to_number(to) == 0
}

covers(from, to, _) if {
	to_number(from) == -1
	to_number(to) == -1
}

# show renders a value for a finding.
show(v) := v if is_string(v)

show(v) := json.marshal(v) if not is_string(v)

# statements are the statements of an IAM policy document given as JSON
# text (jsonencode, heredoc) or as an object.
statements(doc) := s if {
	is_string(doc)
	not unknown(doc)
	json.is_valid(doc)
	p := json.unmarshal(doc)
	s := as_list(p.Statement)
}

statements(doc) := as_list(doc.Statement) if is_object(doc)

as_list(x) := x if is_array(x)

as_list(x) := [x] if not is_array(x)
