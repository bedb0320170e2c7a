resource "azurerm_linux_virtual_machine" "bad" {
  name = "bad"
  disable_password_authentication = false # expect: AZU013
}
