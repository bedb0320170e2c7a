resource "azurerm_key_vault" "bad" {
  network_acls {
    default_action = "Allow" # expect: AZU010
  }
}

resource "azurerm_key_vault" "missing" { # expect: AZU010
  name = "x"
}
