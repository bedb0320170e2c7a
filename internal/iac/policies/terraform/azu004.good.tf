resource "azurerm_storage_account" "good" {
  network_rules {
    default_action = "Deny"
  }
}

resource "azurerm_storage_account" "unknown" {
  network_rules {
    default_action = var.setting
  }
}
