# Helpers for the gitlabci policies; custom policies may import them too
# (import data.lib.gitlabci).
package lib.gitlabci

# jobs are the jobs that run (hidden .templates are read through the jobs
# that extend them), by name.
jobs := object.get(input, "jobs", {})

# value is a variable's value: written directly, or as {value: ...}.
value(v) := scalar(v) if not is_object(v)

value(v) := scalar(v.value) if is_object(v)

scalar(v) := v if is_string(v)

scalar(v) := sprintf("%v", [v]) if {
	not is_string(v)
	not is_object(v)
	not is_array(v)
	v != null
}

# variables are every variables: block with the path to it: global,
# default's (not a GitLab keyword, but harmless) and each job's.
variables contains {"vars": input.variables, "path": ["variables"], "job": ""} if is_object(input.variables)

variables contains {"vars": j.variables, "path": ["jobs", name, "variables"], "job": name} if {
	some name, j in jobs
	is_object(j.variables)
}

# env is what a job sees: the global variables it inherits (all, none
# with inherit:variables false, or the ones it lists), overridden by its
# own.
env(job) := object.union(inherited(job), vars_of(object.get(job, "variables", {})))

inherited(job) := vars_of(object.get(input, "variables", {})) if {
	object.get(object.get(job, "inherit", {}), "variables", true) == true
} else := {k: v |
	some k, v in vars_of(object.get(input, "variables", {}))
	k in object.get(object.get(job, "inherit", {}), "variables", [])
}

vars_of(vs) := {k: value(v) | some k, v in vs; value(v)} if is_object(vs)

vars_of(vs) := {} if not is_object(vs)

# expand replaces $NAME and ${NAME} in s with the values in vars; names
# not in vars stay as written.
expand(s, vars) := strings.replace_n(pairs, s) if {
	names := {m[1] | some m in regex.find_all_string_submatch_n(`\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?`, s, -1)}
	pairs := object.union(
		{sprintf("${%s}", [n]): vars[n] | some n in names; vars[n]},
		{sprintf("$%s", [n]): vars[n] | some n in names; vars[n]},
	)
}

# image_name is the image named by an image: or services: entry.
image_name(v) := v if is_string(v)

image_name(v) := v.name if {
	is_object(v)
	is_string(v.name)
}

# images are every image a pipeline runs, with where it is written and
# the variables it is expanded with: the default's, the top-level one,
# each job's, and services of each.
images contains {"image": image_name(input["default"].image), "path": image_path(input["default"].image, ["default", "image"]), "env": env({}), "service": false, "job": ""} if image_name(input["default"].image)

images contains {"image": image_name(input.image), "path": image_path(input.image, ["image"]), "env": env({}), "service": false, "job": ""} if image_name(input.image)

images contains {"image": image_name(j.image), "path": image_path(j.image, ["jobs", name, "image"]), "env": env(j), "service": false, "job": name} if {
	some name, j in jobs
	image_name(j.image)
}

images contains {"image": image_name(s), "path": image_path(s, ["default", "services", k]), "env": env({}), "service": true, "job": ""} if {
	some k, s in object.get(object.get(input, "default", {}), "services", [])
	image_name(s)
}

images contains {"image": image_name(s), "path": image_path(s, ["services", k]), "env": env({}), "service": true, "job": ""} if {
	some k, s in object.get(input, "services", [])
	image_name(s)
}

images contains {"image": image_name(s), "path": image_path(s, ["jobs", name, "services", k]), "env": env(j), "service": true, "job": name} if {
	some name, j in jobs
	some k, s in object.get(j, "services", [])
	image_name(s)
}

# image_path is where an image's name is written.
image_path(v, p) := p if not is_object(v)

image_path(v, p) := array.concat(p, ["name"]) if is_object(v)

# image_at is where a finding about an image lands: where the variable
# it is written as ("$IMAGE") is set, the job's or the global one, else
# where the image is written.
image_at(x) := p if {
	m := regex.find_all_string_submatch_n(`^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$`, x.image, 1)
	count(m) == 1
	p := var_path(x.job, m[0][1])
} else := x.path

var_path(job, name) := value_path(["jobs", job, "variables", name], jobs[job].variables[name]) if {
	job != ""
	jobs[job].variables[name] != null
} else := value_path(["variables", name], input.variables[name]) if {
	input.variables[name] != null
}

value_path(p, v) := array.concat(p, ["value"]) if is_object(v)

value_path(p, v) := p if not is_object(v)

# pinned: an image reference with a digest, or a tag other than latest.
# unknown_ref: a reference whose name or tag is still a variable.
pinned(ref) if contains(ref, "@sha256:")

pinned(ref) if {
	not contains(ref, "@")
	t := tag(ref)
	t != ""
	t != "latest"
}

unknown_ref(ref) if contains(last(ref), "$")

last(ref) := parts[count(parts) - 1] if parts := split(ref, "/")

tag(ref) := t if {
	l := last(ref)
	contains(l, ":")
	t := split(l, ":")[1]
}

tag(ref) := "" if not contains(last(ref), ":")

# scripts are every line of script, before_script and after_script of
# the jobs and the default, with where it is; nested lists (from
# !reference) are flattened one level. A multi-line item (a `|` block) is
# split into its lines as a shell reads them (lines), each located on its
# own line: the index has Key(path..., i) for line i of a literal block.
scripts contains {"job": name, "line": l, "path": p} if {
	some name, j in jobs
	some key in ["before_script", "script", "after_script"]
	some k, item in as_list(object.get(j, key, []))
	is_string(item)
	some x in item_lines(item, ["jobs", name, key, k])
	l := x.line
	p := x.path
}

scripts contains {"job": name, "line": l, "path": p} if {
	some name, j in jobs
	some key in ["before_script", "script", "after_script"]
	some k, ls in as_list(object.get(j, key, []))
	is_array(ls)
	some m, item in ls
	is_string(item)
	some x in item_lines(item, ["jobs", name, key, k, m])
	l := x.line
	p := x.path
}

scripts contains {"job": "", "line": l, "path": p} if {
	some top in ["default", ""]
	src := scope(top)
	some key in ["before_script", "after_script"]
	some k, item in as_list(object.get(src, key, []))
	is_string(item)
	some x in item_lines(item, array.concat(prefix(top), [key, k]))
	l := x.line
	p := x.path
}

# item_lines are the lines of a script item with their paths: the item's
# own for a one-line item, the item's path and the line's index for a
# block.
item_lines(item, p) := {{"line": item, "path": p}} if not contains(item, "\n")

item_lines(item, p) := {{"line": l, "path": array.concat(p, [i])} |
	some i, l in lines(item)
	l != ""
} if contains(item, "\n")

# lines splits a block into the lines a shell runs: a backslash at the end
# of a line continues it (iac.BlockLines splits the same way); the final
# newline ends the last line.
lines(s) := split(trim_suffix(replace(s, "\\\n", " "), "\n"), "\n")

scope("default") := object.get(input, "default", {})

scope("") := input

prefix("default") := ["default"]

prefix("") := []

as_list(x) := x if is_array(x)

as_list(x) := [x] if not is_array(x)

# secret_name matches names that hold credentials.
secret_name(name) if {
	regex.match(`(?i)(passw(or)?d|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential)`, name)
	not regex.match(`(?i)_(URL|URI|HOST|PATH|FILE|DIR|NAME|USER|USERNAME|ENDPOINT|REGION|TYPE|MODE|ENABLED|DISABLED|EXPIRY|TTL)S?$`, name)
}

# secret_refs are the secret-named variables a script line expands.
secret_refs(line) := {m[1] |
	some m in regex.find_all_string_submatch_n(`\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?`, line, -1)
	secret_name(m[1])
}
