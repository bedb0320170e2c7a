# METADATA
# title: Container image is not pinned
# description: >-
#   An image without a tag, or tagged latest, is whatever was pushed last:
#   deployments are not reproducible and a compromised push is pulled
#   silently.
# related_resources:
# - https://kubernetes.io/docs/concepts/containers/images/#image-names
# custom:
#   id: K8S018
#   severity: medium
#   remediation: >-
#     Use a version tag, or better a digest (image@sha256:...).
package airlock.kubernetes.k8s018

import data.lib.kubernetes as k8s

unpinned(image) := "no tag" if {
	not contains(image, "@")
	parts := split(image, "/")
	not contains(parts[count(parts) - 1], ":")
}

unpinned(image) := "latest" if {
	not contains(image, "@")
	endswith(image, ":latest")
}

deny contains res if {
	some c in k8s.containers
	image := c.container.image
	is_string(image)
	why := unpinned(image)
	res := {"msg": sprintf("%s: image %s has %s", [k8s.label(c), image, why]), "path": array.concat(c.path, ["image"]), "attribute": "image", "expected": "a version tag or digest", "actual": image}
}
