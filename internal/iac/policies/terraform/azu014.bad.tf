resource "azurerm_linux_web_app" "bad" {
  name = "bad"
  https_only = false # expect: AZU014
}

resource "azurerm_linux_web_app" "missing" { # expect: AZU014
  name = "missing"
}
