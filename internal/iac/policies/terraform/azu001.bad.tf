resource "azurerm_storage_account" "bad" {
  name = "bad"
  https_traffic_only_enabled = false # expect: AZU001
}
