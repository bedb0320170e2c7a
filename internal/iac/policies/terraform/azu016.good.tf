resource "azurerm_postgresql_server" "good" {
  ssl_enforcement_enabled = true
}

resource "azurerm_postgresql_server" "unknown" {
  ssl_enforcement_enabled = var.setting
}
