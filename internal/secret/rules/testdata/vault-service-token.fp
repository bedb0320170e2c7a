VAULT_TOKEN=hvs.xxxxxxxxxxxxxxxxxxxxxxxx
hvs.oBAbmBf6sL (cut)
Service tokens start with hvs. since Vault 1.10.
