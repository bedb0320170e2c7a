VAULT_ADDR=https://vault.internal:8200
vault kv get secret/app; echo s.oEyuIFUACCTrJePmcQvZ3X7W
VAULT_TOKEN=s.xxxxxxxxxxxxxxxxxxxxxxxx
vault_token = vault_client.token
