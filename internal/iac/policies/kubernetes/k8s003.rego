# METADATA
# title: Container may run as root
# description: >-
#   Neither the container nor its pod requires a non-root user
#   (runAsNonRoot: true or a runAsUser above 0): the image decides, and
#   many images run as root.
# related_resources:
# - https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
# custom:
#   id: K8S003
#   severity: medium
#   remediation: >-
#     Set runAsNonRoot: true (and a runAsUser above 0) in the pod's or the
#     container's securityContext.
#   benchmark:
#   - "CIS Kubernetes 5.2.6"
package airlock.kubernetes.k8s003

import data.lib.kubernetes as k8s

non_root(c) if k8s.security(c).runAsNonRoot == true

non_root(c) if k8s.security(c).runAsUser > 0

non_root(c) if {
	k8s.pod_security.runAsNonRoot == true
	not k8s.security(c).runAsNonRoot == false
}

non_root(c) if {
	k8s.pod_security.runAsUser > 0
	not k8s.security(c).runAsUser == 0
}

deny contains res if {
	some c in k8s.containers
	not non_root(c)
	not k8s.security(c).runAsUser == 0
	res := {"msg": sprintf("%s may run as root", [k8s.label(c)]), "path": k8s.csc_path(c, "runAsNonRoot"), "attribute": "securityContext.runAsNonRoot", "expected": "true", "actual": sprintf("%v", [object.get(k8s.security(c), "runAsNonRoot", "unset")])}
}
