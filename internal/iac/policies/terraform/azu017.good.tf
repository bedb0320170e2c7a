resource "azurerm_mssql_server" "good" {
  public_network_access_enabled = false
}

resource "azurerm_mssql_server" "unknown" {
  public_network_access_enabled = var.setting
}

resource "azurerm_mssql_server" "default" {
  name = "default"
}
