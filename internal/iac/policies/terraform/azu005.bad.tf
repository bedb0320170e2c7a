resource "azurerm_storage_container" "bad" {
  name = "bad"
  container_access_type = "blob" # expect: AZU005
}
