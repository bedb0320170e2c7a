DD_API_KEY=<DATADOG_API_KEY>
DD_SITE=datadoghq.eu
datadog_api_key = var.datadog_api_key
DD_API_KEY_SECRET_ARN=arn:aws:secretsmanager:eu-west-1:123456789012:secret:dd
