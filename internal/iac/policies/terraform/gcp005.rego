# METADATA
# title: Instance metadata weakens SSH or serial access
# description: >-
#   The instance metadata enables the interactive serial console, turns OS
#   Login off, or leaves project-wide SSH keys allowed.
# custom:
#   id: GCP005
#   severity: medium
#   remediation: >-
#     Set metadata serial-port-enable = false, enable-oslogin = true and
#     block-project-ssh-keys = true.
#   benchmark:
#   - "CIS GCP 4.4"
#   - "CIS GCP 4.5"
package airlock.terraform.gcp005

deny contains res if {
	some i, r in input.resources
	r.mode == "managed"
	r.type in {"google_compute_instance", "google_compute_instance_template"}
	md := object.get(r.values, "metadata", {})
	is_object(md)
	some key, want in {"serial-port-enable": "false", "enable-oslogin": "true"}
	v := md[key]
	lower(sprintf("%v", [v])) != want
	lower(sprintf("%v", [v])) != sprintf("%v", [want == "true"])
	res := {"msg": sprintf("%s: metadata %s is %v", [r.address, key, v]), "path": ["resources", i, "values", "metadata"], "attribute": sprintf("metadata.%s", [key]), "expected": want, "actual": sprintf("%v", [v])}
}
