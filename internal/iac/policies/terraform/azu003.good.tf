resource "azurerm_storage_account" "good" {
  allow_nested_items_to_be_public = false
}

resource "azurerm_storage_account" "unknown" {
  allow_nested_items_to_be_public = var.setting
}
