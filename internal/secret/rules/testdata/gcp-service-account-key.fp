{
  "type": "service_account",
  "project_id": "billing-prod-31337",
  "private_key_id": "",
  "private_key": "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n",
  "client_email": "exporter@billing-prod-31337.iam.gserviceaccount.com"
}
~~~
{
  "type": "service_account",
  "project_id": "billing-prod-31337",
  "private_key": "${GCP_PRIVATE_KEY}",
  "client_email": "exporter@billing-prod-31337.iam.gserviceaccount.com"
}
~~~
{
  "type": "external_account",
  "audience": "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/gitlab/providers/gitlab",
  "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
  "service_account_impersonation_url": "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/ci@billing-prod-31337.iam.gserviceaccount.com:generateAccessToken"
}
~~~
{"type": "service_account", "project_id": "billing-prod-31337", "client_email": "exporter@billing-prod-31337.iam.gserviceaccount.com"}
