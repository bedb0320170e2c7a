# METADATA
# title: Docker-in-Docker without TLS
# description: >-
#   A job runs the docker:dind service with TLS turned off
#   (DOCKER_TLS_CERTDIR empty, or DOCKER_HOST on tcp port 2375): the
#   privileged Docker daemon accepts unauthenticated, unencrypted
#   connections from anything that reaches the job's network.
# related_resources:
# - https://docs.gitlab.com/ci/docker/using_docker_build/
# custom:
#   id: GLCI006
#   severity: high
#   remediation: >-
#     Keep DOCKER_TLS_CERTDIR: "/certs" and DOCKER_HOST tcp://docker:2376
#     (the docker:dind defaults), or build images without a daemon (buildah,
#     kaniko).
package airlock.gitlabci.glci006

import data.lib.gitlabci as ci

dind(j) if {
	some s in object.get(j, "services", [])
	regex.match(`(^|/)docker:.*dind`, ci.image_name(s))
}

# The variable is read from the job, else from the global variables.
where(name, job, j) := ["jobs", job, "variables", name] if object.get(object.get(j, "variables", {}), name, null) != null

where(name, _, j) := ["variables", name] if object.get(object.get(j, "variables", {}), name, null) == null

deny contains res if {
	some job, j in ci.jobs
	dind(j)
	env := ci.env(j)
	some name in ["DOCKER_TLS_CERTDIR", "DOCKER_HOST"]
	v := env[name]
	off(name, v)
	res := {"msg": sprintf("job %s: Docker-in-Docker with %s=%q", [job, name, v]), "path": where(name, job, j), "attribute": name, "expected": "TLS on port 2376", "actual": v}
}

off("DOCKER_TLS_CERTDIR", v) if v == ""

off("DOCKER_HOST", v) if regex.match(`^tcp://[^/]*:2375/?$`, v)
