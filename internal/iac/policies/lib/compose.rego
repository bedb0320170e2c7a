# Helpers for the compose policies; custom policies may import them too
# (import data.lib.compose).
package lib.compose

# services are the services by name.
services := object.get(input, "services", {})

# environment is a service's environment as name -> value, from either
# form (a mapping, or a list of NAME=value).
environment(svc) := env if {
	env := svc.environment
	is_object(env)
}

environment(svc) := env if {
	is_array(svc.environment)
	env := {k: v |
		some e in svc.environment
		parts := split(e, "=")
		count(parts) > 1
		k := parts[0]
		v := concat("=", array.slice(parts, 1, count(parts)))
	}
}

# mounts are a service's volumes as {"source", "target", "index"}, from
# either form (short "src:dst:mode" or long {type, source, target}).
mounts contains m if {
	some name, svc in services
	some i, v in object.get(svc, "volumes", [])
	is_string(v)
	parts := split(v, ":")
	count(parts) >= 2
	m := {"service": name, "index": i, "source": parts[0], "target": parts[1]}
}

mounts contains m if {
	some name, svc in services
	some i, v in object.get(svc, "volumes", [])
	is_object(v)
	m := {"service": name, "index": i, "source": object.get(v, "source", ""), "target": object.get(v, "target", "")}
}

# secret_name matches names that hold credentials.
secret_name(name) if regex.match(`(?i)(passw(or)?d|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential)`, name)

# literal is a value written in the file rather than interpolated.
literal(v) if {
	is_string(v)
	v != ""
	not contains(v, "$")
}
