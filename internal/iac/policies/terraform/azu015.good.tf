resource "azurerm_linux_web_app" "good" {
  site_config {
    minimum_tls_version = "1.2"
  }
}

resource "azurerm_linux_web_app" "unknown" {
  site_config {
    minimum_tls_version = var.setting
  }
}
