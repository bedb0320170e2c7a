# Helpers for the dockerfile policies; custom policies may import them too
# (import data.lib.dockerfile).
package lib.dockerfile

# final is the index of the last stage, the one the image is made of.
final := count(input.stages) - 1

# runs are the RUN instructions of every stage with their script: the
# shell text, exec-form arguments joined, and here-documents.
runs contains {"stage": i, "index": j, "script": script} if {
	some i, j
	c := input.stages[i].commands[j]
	c.cmd == "run"
	script := concat(" ", array.concat(c.value, c.heredocs))
}

# commands splits a shell script into its simple commands.
commands(script) := [t |
	some s in regex.split(`&&|\|\||;|\||\n`, script)
	t := trim_space(s)
	t != ""
]

# words splits a simple command on white space.
words(cmd) := [w | some w in regex.split(`\s+`, trim_space(cmd)); w != ""]

# path is where an instruction is, for a finding.
path(r) := ["stages", r.stage, "commands", r.index]

# secret_name matches names that hold credentials.
secret_name(name) if regex.match(`(?i)(passw(or)?d|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|client[_-]?secret)`, name)

# literal is a value written in the file rather than passed in.
literal(v) if {
	v != ""
	not contains(v, "$")
}
