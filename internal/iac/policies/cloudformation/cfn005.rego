# METADATA
# title: S3 bucket has no encryption configuration
# description: >-
#   The bucket sets no BucketEncryption. S3 encrypts new objects with
#   S3-managed keys by default, but without a configuration the template
#   does not say so, and objects cannot be tied to a KMS key whose use is
#   logged and controlled.
# custom:
#   id: CFN005
#   severity: low
#   remediation: >-
#     Add BucketEncryption with a ServerSideEncryptionByDefault rule
#     (SSEAlgorithm aws:kms and a KMSMasterKeyID, or AES256).
package airlock.cloudformation.cfn005

import data.lib.cloudformation as cfn

deny contains res if {
	some i, r in cfn.resources("AWS::S3::Bucket")
	cfn.prop(r, "BucketEncryption") == null
	res := {"msg": sprintf("%s: no BucketEncryption", [r.address]), "path": ["resources", i], "attribute": "BucketEncryption", "expected": "a ServerSideEncryptionByDefault rule", "actual": "missing"}
}
