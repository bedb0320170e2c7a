# METADATA
# title: apk add without --no-cache
# description: >-
#   apk add keeps the package index in the image unless told not to: a larger
#   image for nothing.
# related_resources:
# - https://docs.docker.com/build/building/best-practices/#run
# custom:
#   id: DF019
#   severity: low
#   remediation: >-
#     Use apk add --no-cache (or remove /var/cache/apk/* in the same RUN).
package airlock.dockerfile.df019

import data.lib.dockerfile

deny contains res if {
	some r in dockerfile.runs
	some cmd in dockerfile.commands(r.script)
	regex.match(`^(sudo\s+)?apk\s+(.*\s)?add(\s|$)`, cmd)
	not contains(cmd, "--no-cache")
	not contains(r.script, "/var/cache/apk")
	res := {"msg": "apk add without --no-cache", "path": dockerfile.path(r), "attribute": "RUN", "expected": "apk add --no-cache", "actual": cmd}
}
