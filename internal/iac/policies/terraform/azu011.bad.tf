resource "azurerm_kubernetes_cluster" "bad" {
  name = "bad"
  role_based_access_control_enabled = false # expect: AZU011
}
