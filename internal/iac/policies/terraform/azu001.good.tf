resource "azurerm_storage_account" "good" {
  https_traffic_only_enabled = true
}

resource "azurerm_storage_account" "unknown" {
  https_traffic_only_enabled = var.setting
}

resource "azurerm_storage_account" "default" {
  name = "default"
}
