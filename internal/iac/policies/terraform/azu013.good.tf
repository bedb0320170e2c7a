resource "azurerm_linux_virtual_machine" "good" {
  disable_password_authentication = true
}

resource "azurerm_linux_virtual_machine" "unknown" {
  disable_password_authentication = var.setting
}

resource "azurerm_linux_virtual_machine" "default" {
  name = "default"
}
