# METADATA
# title: CI service image not pinned to a tag or digest
# description: >-
#   A service container (services:) has no tag, or the tag latest: the
#   pipeline's database, registry or docker daemon changes under it without
#   notice.
# custom:
#   id: GLCI004
#   severity: low
#   remediation: >-
#     Name a version tag (postgres:16.3) or a digest for every service.
package airlock.gitlabci.glci004

import data.lib.gitlabci as ci

deny contains res if {
	some x in ci.images
	x.service
	ref := ci.expand(x.image, x.env)
	not ci.unknown_ref(ref)
	not ci.pinned(ref)
	res := {"msg": sprintf("service %s is not pinned", [ref]), "path": ci.image_at(x), "attribute": "services", "expected": "a version tag or a digest", "actual": ref}
}
