# METADATA
# title: pip install without --no-cache-dir
# description: >-
#   pip keeps its download cache in the image unless told not to: a larger
#   image for nothing.
# custom:
#   id: DF020
#   severity: low
#   remediation: >-
#     Use pip install --no-cache-dir (or set PIP_NO_CACHE_DIR=1).
package airlock.dockerfile.df020

import data.lib.dockerfile

deny contains res if {
	some r in dockerfile.runs
	some cmd in dockerfile.commands(r.script)
	regex.match(`^(sudo\s+)?(python[0-9.]*\s+-m\s+)?pip[0-9.]*\s+(.*\s)?install(\s|$)`, cmd)
	not contains(cmd, "--no-cache-dir")
	not no_cache_env
	res := {"msg": "pip install without --no-cache-dir", "path": dockerfile.path(r), "attribute": "RUN", "expected": "pip install --no-cache-dir", "actual": cmd}
}

no_cache_env if {
	some s in input.stages
	some c in s.commands
	c.cmd == "env"
	some v in c.value
	v == "PIP_NO_CACHE_DIR"
}
