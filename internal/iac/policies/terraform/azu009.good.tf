resource "azurerm_key_vault" "good" {
  purge_protection_enabled = true
}

resource "azurerm_key_vault" "unknown" {
  purge_protection_enabled = var.setting
}
