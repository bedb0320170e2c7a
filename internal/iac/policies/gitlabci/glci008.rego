# METADATA
# title: Script dumps the environment
# description: >-
#   A script runs env, printenv or export -p without arguments: every
#   variable of the job, CI/CD secrets included, is written to the job log.
# custom:
#   id: GLCI008
#   severity: medium
#   remediation: >-
#     Print the variables you need by name, or leave the debugging line out
#     of the configuration.
package airlock.gitlabci.glci008

import data.lib.gitlabci as ci

deny contains res if {
	some s in ci.scripts
	some cmd in regex.split(`&&|\|\||;|\|`, s.line)
	regex.match(`^\s*(env|printenv|export\s+-p|set)\s*$`, cmd)
	not dumps_to_file(s.line)
	res := {"msg": sprintf("%s prints every variable", [trim_space(cmd)]), "path": s.path, "attribute": "script", "expected": "no environment dump", "actual": s.line}
}

dumps_to_file(line) if regex.match(`^\s*(env|printenv|export\s+-p|set)\s*>`, line)
