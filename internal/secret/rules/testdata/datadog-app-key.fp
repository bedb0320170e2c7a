DD_APP_KEY=<DATADOG_APP_KEY>
datadog_app_key = var.datadog_app_key
DD_APP_KEY=${DD_APP_KEY}
