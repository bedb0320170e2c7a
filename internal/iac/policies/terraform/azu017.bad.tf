resource "azurerm_mssql_server" "bad" {
  name = "bad"
  public_network_access_enabled = true # expect: AZU017
}
