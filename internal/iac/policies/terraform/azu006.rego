# METADATA
# title: Network security group opens an admin port to the internet
# description: >-
#   An inbound Allow rule admits SSH (22) or RDP (3389) from any source (*,
#   0.0.0.0/0, Internet).
# custom:
#   id: AZU006
#   severity: critical
#   remediation: >-
#     Allow admin ports only from known address ranges, or use Azure Bastion
#     or just-in-time access.
#   benchmark:
#   - "CIS Azure 6.1"
#   - "CIS Azure 6.2"
package airlock.terraform.azu006

import data.lib.terraform

rules contains [path, rule, r] if {
	some i, r in input.resources
	r.mode == "managed"
	r.type == "azurerm_network_security_rule"
	path := ["resources", i, "values"]
	rule := r.values
}

rules contains [path, rule, r] if {
	some i, r in input.resources
	r.mode == "managed"
	r.type == "azurerm_network_security_group"
	some k, rule in terraform.blocks(r.values, "security_rule")
	path := ["resources", i, "values", "security_rule", k]
}

deny contains res if {
	some [path, rule, r] in rules
	lower(rule.direction) == "inbound"
	lower(rule.access) == "allow"
	some src in sources(rule)
	terraform.open_cidr(src)
	some p in terraform.admin_ports
	some range in ports(rule)
	covers(range, p)
	res := {"msg": sprintf("%s: port %d is open to %s", [r.address, p, src]), "path": array.concat(path, ["source_address_prefix"]), "attribute": "source_address_prefix", "expected": "a known address range", "actual": src}
}

sources(rule) := array.concat([x | x := rule.source_address_prefix], object.get(rule, "source_address_prefixes", []))

ports(rule) := array.concat([x | x := rule.destination_port_range], object.get(rule, "destination_port_ranges", []))

covers("*", _)

covers(range, p) if {
	parts := split(range, "-")
	count(parts) == 2
	terraform.covers(parts[0], parts[1], p)
}

covers(range, p) if to_number(range) == p
