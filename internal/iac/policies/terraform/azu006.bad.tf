resource "azurerm_network_security_rule" "ssh" {
  name                        = "ssh"
  direction                   = "Inbound"
  access                      = "Allow"
  protocol                    = "Tcp"
  source_port_range           = "*"
  destination_port_range      = "22"
  source_address_prefix       = "*" # expect: AZU006
  destination_address_prefix  = "*"
}

resource "azurerm_network_security_group" "web" {
  name = "web"
  security_rule {
    name                       = "rdp"
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_ranges    = ["443", "3000-4000"]
    source_address_prefix      = "Internet" # expect: AZU006
    destination_address_prefix = "*"
  }
}
