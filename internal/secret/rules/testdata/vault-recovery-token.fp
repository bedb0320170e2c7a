hvr.s50XCsjsAL (cut)
Recovery tokens start with hvr.
VAULT_TOKEN=hvr.xxxxxxxxxxxxxxxxxxxxxxxx
