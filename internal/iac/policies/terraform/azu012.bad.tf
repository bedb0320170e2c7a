resource "azurerm_kubernetes_cluster" "bad" {
  network_profile {
    network_policy = "" # expect: AZU012
  }
}

resource "azurerm_kubernetes_cluster" "missing" { # expect: AZU012
  name = "x"
}
