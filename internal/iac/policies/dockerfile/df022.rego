# METADATA
# title: TLS verification disabled
# description: >-
#   A RUN downloads or installs with certificate checks turned off (curl -k,
#   wget --no-check-certificate, pip --trusted-host, git http.sslVerify=false,
#   npm strict-ssl false): anyone on the path can swap what is fetched.
# custom:
#   id: DF022
#   severity: high
#   remediation: >-
#     Keep certificate verification on; add the internal CA to the image's
#     trust store when a mirror uses one.
package airlock.dockerfile.df022

import data.lib.dockerfile

deny contains res if {
	some r in dockerfile.runs
	some cmd in dockerfile.commands(r.script)
	insecure(cmd)
	res := {"msg": "Certificate verification is turned off", "path": dockerfile.path(r), "attribute": "RUN", "expected": "certificate verification on", "actual": cmd}
}

insecure(cmd) if regex.match(`^(sudo\s+)?curl\s(.*\s)?(-k|--insecure|-[a-zA-Z]*k[a-zA-Z]*)(\s|$)`, cmd)

insecure(cmd) if regex.match(`^(sudo\s+)?wget\s(.*\s)?--no-check-certificate(\s|$)`, cmd)

insecure(cmd) if regex.match(`pip[0-9.]*\s(.*\s)?--trusted-host(\s|=)`, cmd)

insecure(cmd) if regex.match(`(?i)http\.sslverify\s*(=|\s)\s*false`, cmd)

insecure(cmd) if regex.match(`npm\s+config\s+set\s+strict-ssl\s+false`, cmd)
