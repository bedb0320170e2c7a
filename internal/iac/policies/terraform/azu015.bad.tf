resource "azurerm_linux_web_app" "bad" {
  site_config {
    minimum_tls_version = "1.0" # expect: AZU015
  }
}
