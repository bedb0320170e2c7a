# METADATA
# title: Base image uses the latest tag
# description: >-
#   The base image is named with the tag latest, which moves: the same
#   Dockerfile builds a different image tomorrow.
# related_resources:
# - https://docs.docker.com/build/building/best-practices/#from
# custom:
#   id: DF010
#   severity: medium
#   remediation: >-
#     Name a version tag (FROM alpine:3.20), or better a digest (FROM
#     alpine@sha256:...).
package airlock.dockerfile.df010

deny contains res if {
	some i
	f := input.stages[i].from
	not f.stage
	f.tag == "latest"
	f.digest == ""
	res := {"msg": sprintf("%s uses the latest tag", [f.image]), "path": ["stages", i, "from"], "attribute": "FROM", "expected": "a version tag or a digest", "actual": f.image}
}
