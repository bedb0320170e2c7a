# Helpers for the kubernetes policies; custom policies may import them too
# (import data.lib.kubernetes).
package lib.kubernetes

# kind and name of the object.
kind := object.get(input, "kind", "")

name := object.get(input, ["metadata", "name"], "")

# pod_path is where the object keeps its pod spec (see
# internal/iac/kubernetes.PodSpecPath).
pod_path := ["spec"] if kind == "Pod"

pod_path := ["spec", "template", "spec"] if kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController"}

pod_path := ["spec", "jobTemplate", "spec", "template", "spec"] if kind == "CronJob"

# pod is the pod spec of a workload.
pod := object.get(input, pod_path, {})

# containers are every container of the pod spec (init and ephemeral
# ones too) as {"container", "path", "name", "init"}.
containers contains {"container": c, "path": array.concat(pod_path, [field, i]), "name": object.get(c, "name", ""), "init": field != "containers"} if {
	some field in ["containers", "initContainers", "ephemeralContainers"]
	some i, c in object.get(pod, field, [])
	is_object(c)
}

# security is a container's securityContext.
security(c) := object.get(c.container, "securityContext", {})

# pod_security is the pod's securityContext.
pod_security := object.get(pod, "securityContext", {})

# csc_path is the path to an attribute of a container's securityContext,
# or to the container when it has none.
csc_path(c, attr) := array.concat(c.path, ["securityContext", attr])

# volumes are the pod's volumes with their path.
volumes contains {"volume": v, "path": array.concat(pod_path, ["volumes", i])} if {
	some i, v in object.get(pod, "volumes", [])
	is_object(v)
}

# secret_name matches names that hold credentials.
secret_name(n) if regex.match(`(?i)(passw(or)?d|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential)`, n)

# label is how a finding names a container.
label(c) := sprintf("%s %s: container %s", [kind, name, c.name])

# rules are the rules of a Role or ClusterRole with their path.
rules contains {"rule": r, "path": ["rules", i]} if {
	kind in {"Role", "ClusterRole"}
	some i, r in object.get(input, "rules", [])
	is_object(r)
}
