resource "azurerm_kubernetes_cluster" "good" {
  network_profile {
    network_policy = "calico"
  }
}

resource "azurerm_kubernetes_cluster" "unknown" {
  network_profile {
    network_policy = var.setting
  }
}
