resource "azurerm_mssql_server" "good" {
  minimum_tls_version = "1.2"
}

resource "azurerm_mssql_server" "unknown" {
  minimum_tls_version = var.setting
}

resource "azurerm_mssql_server" "default" {
  name = "default"
}
