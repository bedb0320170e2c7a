resource "azurerm_mssql_server" "bad" {
  name = "bad"
  minimum_tls_version = "1.0" # expect: AZU008
}
