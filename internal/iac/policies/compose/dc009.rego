# METADATA
# title: Service image uses latest or no tag
# description: >-
#   The image is named with the tag latest, or no tag at all: what runs
#   changes whenever the tag moves.
# related_resources:
# - https://docs.docker.com/reference/compose-file/services/#image
# custom:
#   id: DC009
#   severity: medium
#   remediation: >-
#     Name a version tag (postgres:16.4), or better a digest.
package airlock.compose.dc009

deny contains res if {
	some name, svc in object.get(input, "services", {})
	img := svc.image
	not contains(img, "@")
	not contains(img, "$")
	floating(img)
	res := {"msg": sprintf("service %s: image %s is not pinned", [name, img]), "path": ["services", name, "image"], "attribute": "image", "expected": "a version tag or a digest", "actual": img}
}

floating(img) if endswith(img, ":latest")

floating(img) if {
	parts := split(img, "/")
	not contains(parts[count(parts) - 1], ":")
}
