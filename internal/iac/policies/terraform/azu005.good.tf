resource "azurerm_storage_container" "good" {
  container_access_type = "private"
}

resource "azurerm_storage_container" "unknown" {
  container_access_type = var.setting
}

resource "azurerm_storage_container" "default" {
  name = "default"
}
