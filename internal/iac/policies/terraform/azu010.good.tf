resource "azurerm_key_vault" "good" {
  network_acls {
    default_action = "Deny"
  }
}

resource "azurerm_key_vault" "unknown" {
  network_acls {
    default_action = var.setting
  }
}
