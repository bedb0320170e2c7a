resource "azurerm_storage_account" "good" {
  min_tls_version = "TLS1_2"
}

resource "azurerm_storage_account" "unknown" {
  min_tls_version = var.setting
}

resource "azurerm_storage_account" "default" {
  name = "default"
}
