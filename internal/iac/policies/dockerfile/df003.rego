# METADATA
# title: ADD fetches a remote URL
# description: >-
#   ADD with a URL downloads a file at build time without verifying it: a
#   changed or compromised file is built into the image unnoticed.
# related_resources:
# - https://docs.docker.com/build/building/best-practices/#add-or-copy
# custom:
#   id: DF003
#   severity: medium
#   remediation: >-
#     Download with curl or wget and verify a checksum in the same RUN, or
#     use ADD --checksum=sha256:... .
package airlock.dockerfile.df003

deny contains res if {
	some i, j
	c := input.stages[i].commands[j]
	c.cmd == "add"
	some word in array.slice(c.value, 0, count(c.value) - 1)
	src := trim(word, `"'`)
	regex.match(`^(https?|ftp)://`, src)
	not checksum(c)
	res := {"msg": sprintf("ADD downloads %s without a checksum", [src]), "path": ["stages", i, "commands", j], "attribute": "ADD", "expected": "a verified download (ADD --checksum or curl + sha256sum)", "actual": src}
}

checksum(c) if {
	some f in c.flags
	startswith(f, "--checksum=")
}
