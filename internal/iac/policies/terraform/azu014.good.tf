resource "azurerm_linux_web_app" "good" {
  https_only = true
}

resource "azurerm_linux_web_app" "unknown" {
  https_only = var.setting
}
