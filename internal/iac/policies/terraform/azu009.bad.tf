resource "azurerm_key_vault" "bad" {
  name = "bad"
  purge_protection_enabled = false # expect: AZU009
}

resource "azurerm_key_vault" "missing" { # expect: AZU009
  name = "missing"
}
