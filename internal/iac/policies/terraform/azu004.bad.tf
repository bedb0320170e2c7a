resource "azurerm_storage_account" "bad" {
  network_rules {
    default_action = "Allow" # expect: AZU004
  }
}
