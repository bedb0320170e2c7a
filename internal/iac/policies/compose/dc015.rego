# METADATA
# title: Sensitive port published on every interface
# description: >-
#   The service publishes an admin or data-store port (SSH, RDP, the Docker
#   API, PostgreSQL, MySQL, Redis, MongoDB, Elasticsearch) on all host
#   interfaces.
# related_resources:
# - https://docs.docker.com/reference/compose-file/services/#ports
# custom:
#   id: DC015
#   severity: medium
#   remediation: >-
#     Publish it on 127.0.0.1 ("127.0.0.1:5432:5432"), or not at all and let
#     services talk over the Compose network.
package airlock.compose.dc015

sensitive := {22, 2375, 2376, 3306, 3389, 5432, 6379, 9200, 11211, 27017}

deny contains res if {
	some name, svc in object.get(input, "services", {})
	some i, p in object.get(svc, "ports", [])
	[host_ip, published] := publish(p)
	host_ip in {"", "0.0.0.0", "::", "[::]"}
	to_number(published) in sensitive
	res := {"msg": sprintf("service %s publishes port %v on every interface", [name, published]), "path": ["services", name, "ports", i], "attribute": "ports", "expected": "127.0.0.1:<port>:<port>", "actual": sprintf("%v", [p])}
}

# publish reads "[ip:]published:target[/proto]" and the long form.
publish(p) := [ip, pub] if {
	is_string(p)
	parts := split(split(p, "/")[0], ":")
	count(parts) == 2
	ip := ""
	pub := parts[0]
	regex.match(`^[0-9]+$`, pub)
}

publish(p) := [ip, pub] if {
	is_string(p)
	parts := split(split(p, "/")[0], ":")
	count(parts) == 3
	ip := parts[0]
	pub := parts[1]
	regex.match(`^[0-9]+$`, pub)
}

publish(p) := [object.get(p, "host_ip", ""), sprintf("%v", [p.published])] if is_object(p)
