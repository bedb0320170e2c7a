resource "azurerm_mssql_firewall_rule" "office" {
  name             = "office"
  server_id        = azurerm_mssql_server.db.id
  start_ip_address = "203.0.113.1"
  end_ip_address   = "203.0.113.20"
}

resource "azurerm_mssql_firewall_rule" "azure" {
  name             = "azure-services"
  server_id        = azurerm_mssql_server.db.id
  start_ip_address = "0.0.0.0"
  end_ip_address   = "0.0.0.0"
}
