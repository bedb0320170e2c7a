resource "azurerm_storage_account" "bad" {
  name = "bad"
  allow_nested_items_to_be_public = true # expect: AZU003
}

resource "azurerm_storage_account" "missing" { # expect: AZU003
  name = "missing"
}
