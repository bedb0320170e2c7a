resource "azurerm_postgresql_server" "bad" {
  name = "bad"
  ssl_enforcement_enabled = false # expect: AZU016
}

resource "azurerm_postgresql_server" "missing" { # expect: AZU016
  name = "missing"
}
