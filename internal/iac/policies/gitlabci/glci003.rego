# METADATA
# title: CI image not pinned to a tag or digest
# description: >-
#   A job's image (or the default image) has no tag, or the tag latest: each
#   pipeline may run a different image, and a compromised or broken push to
#   the tag reaches every pipeline.
# related_resources:
# - https://docs.gitlab.com/ci/yaml/#image
# custom:
#   id: GLCI003
#   severity: medium
#   remediation: >-
#     Name a version tag (alpine:3.20) or, better, a digest
#     (alpine@sha256:...); set it through a variable if the site updates it
#     centrally.
package airlock.gitlabci.glci003

import data.lib.gitlabci as ci

deny contains res if {
	some x in ci.images
	not x.service
	ref := ci.expand(x.image, x.env)
	not ci.unknown_ref(ref)
	not ci.pinned(ref)
	res := {"msg": sprintf("image %s is not pinned", [ref]), "path": ci.image_at(x), "attribute": "image", "expected": "a version tag or a digest", "actual": ref}
}
