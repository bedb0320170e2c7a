# METADATA
# title: Service has no memory limit
# description: >-
#   The service may use all of the host's memory: one leak or attack starves
#   every other service.
# related_resources:
# - https://docs.docker.com/reference/compose-file/deploy/#resources
# custom:
#   id: DC016
#   severity: low
#   remediation: >-
#     Set deploy.resources.limits.memory (or mem_limit).
#   benchmark:
#   - "CIS Docker 5.10"
package airlock.compose.dc016

deny contains res if {
	some name, svc in object.get(input, "services", {})
	not svc.mem_limit
	not svc.deploy.resources.limits.memory
	res := {"msg": sprintf("service %s has no memory limit", [name]), "path": ["services", name, "deploy"], "attribute": "deploy.resources.limits.memory", "expected": "a memory limit"}
}
