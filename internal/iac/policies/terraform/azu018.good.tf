resource "azurerm_managed_disk" "good" {
  encryption_settings {
    enabled = true
  }
}

resource "azurerm_managed_disk" "unknown" {
  encryption_settings {
    enabled = var.setting
  }
}
