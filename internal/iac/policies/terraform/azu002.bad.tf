resource "azurerm_storage_account" "bad" {
  name = "bad"
  min_tls_version = "TLS1_0" # expect: AZU002
}
