# METADATA
# title: Base image has no tag
# description: >-
#   The base image is named without a tag or digest, which means latest: the
#   same Dockerfile builds a different image tomorrow.
# related_resources:
# - https://docs.docker.com/build/building/best-practices/#from
# custom:
#   id: DF011
#   severity: medium
#   remediation: >-
#     Name a version tag (FROM alpine:3.20), or better a digest (FROM
#     alpine@sha256:...).
package airlock.dockerfile.df011

deny contains res if {
	some i
	f := input.stages[i].from
	not f.stage
	f.tag == ""
	f.digest == ""
	not contains(f.image, "$")
	res := {"msg": sprintf("%s has no tag", [f.image]), "path": ["stages", i, "from"], "attribute": "FROM", "expected": "a version tag or a digest", "actual": f.image}
}
