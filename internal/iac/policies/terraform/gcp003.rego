# METADATA
# title: Firewall opens an admin port to the internet
# description: >-
#   An ingress firewall rule allows SSH (22) or RDP (3389) — or every port —
#   from 0.0.0.0/0.
# custom:
#   id: GCP003
#   severity: critical
#   remediation: >-
#     Allow admin ports only from known ranges, or use IAP TCP forwarding
#     (35.235.240.0/20).
#   benchmark:
#   - "CIS GCP 3.6"
#   - "CIS GCP 3.7"
package airlock.terraform.gcp003

import data.lib.terraform

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type == "google_compute_firewall"
	upper(object.get(r.values, "direction", "INGRESS")) == "INGRESS"
	not r.values.disabled == true
	some src in object.get(r.values, "source_ranges", [])
	terraform.open_cidr(src)
	some k, allow in terraform.blocks(r.values, "allow")
	some p in terraform.admin_ports
	opens(allow, p)
	res := {"msg": sprintf("%s: port %d is open to %s", [r.address, p, src]), "path": ["resources", i, "values", "source_ranges"], "attribute": "source_ranges", "expected": "known address ranges", "actual": src}
}

opens(allow, _) if allow.protocol == "all"

opens(allow, _) if {
	allow.protocol in {"tcp", "6"}
	count(object.get(allow, "ports", [])) == 0
}

opens(allow, p) if {
	allow.protocol in {"tcp", "6"}
	some range in allow.ports
	covers(range, p)
}

covers(range, p) if to_number(range) == p

covers(range, p) if {
	parts := split(range, "-")
	count(parts) == 2
	terraform.covers(parts[0], parts[1], p)
}
