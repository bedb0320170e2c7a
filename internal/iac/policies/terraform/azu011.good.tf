resource "azurerm_kubernetes_cluster" "good" {
  role_based_access_control_enabled = true
}

resource "azurerm_kubernetes_cluster" "unknown" {
  role_based_access_control_enabled = var.setting
}

resource "azurerm_kubernetes_cluster" "default" {
  name = "default"
}
