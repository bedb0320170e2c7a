# METADATA
# title: apt-get install without version pins
# description: >-
#   Packages installed without a version change from build to build: builds
#   are not reproducible and an update can break or weaken the image
#   unnoticed.
# related_resources:
# - https://docs.docker.com/build/building/best-practices/#apt-get
# custom:
#   id: DF008
#   severity: low
#   remediation: >-
#     Pin each package: apt-get install curl=7.88.1-10+deb12u5.
package airlock.dockerfile.df008

import data.lib.dockerfile

deny contains res if {
	some r in dockerfile.runs
	some cmd in dockerfile.commands(r.script)
	regex.match(`^(sudo\s+)?(\S+=\S+\s+)*(xx-)?apt-get\s+(.*\s)?install(\s|$)`, cmd)
	ws := dockerfile.words(cmd)
	some k, w in ws
	k > install_at(ws)
	not startswith(w, "-")
	not ws[k - 1] == "-o"
	not contains(w, "=")
	not contains(w, "$")
	not contains(w, "/")
	res := {"msg": sprintf("apt-get installs %s without a version", [w]), "path": dockerfile.path(r), "attribute": "RUN", "expected": sprintf("%s=<version>", [w]), "actual": w}
}

install_at(ws) := min([k | some k; ws[k] == "install"])
