# METADATA
# title: Pod mounts the container runtime socket
# description: >-
#   Whoever reaches the Docker, containerd or CRI-O socket runs any
#   container on the node, privileged: root on the node.
# related_resources:
# - https://kubernetes.io/docs/concepts/storage/volumes/#hostpath
# custom:
#   id: K8S014
#   severity: critical
#   remediation: >-
#     Do not mount the runtime socket; use a dedicated build service or
#     rootless builder.
#   benchmark:
#   - "CIS Kubernetes 5.2.12"
package airlock.kubernetes.k8s014

import data.lib.kubernetes as k8s

sockets := {"/var/run/docker.sock", "/run/docker.sock", "/var/run/containerd/containerd.sock", "/run/containerd/containerd.sock", "/var/run/crio/crio.sock", "/run/crio/crio.sock", "/var/run", "/run"}

deny contains res if {
	some v in k8s.volumes
	p := trim_right(object.get(v.volume, ["hostPath", "path"], ""), "/")
	p in sockets
	res := {"msg": sprintf("%s %s: volume %s mounts %s", [k8s.kind, k8s.name, object.get(v.volume, "name", ""), p]), "path": array.concat(v.path, ["hostPath", "path"]), "attribute": "volumes.hostPath.path", "expected": "no runtime socket", "actual": p}
}
