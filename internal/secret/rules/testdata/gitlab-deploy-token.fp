gldt-xxxxxxxxxxxxxxxxxxxx
gldt-_wFhvmza8tIZ was truncated in the log
gldt-<token>
Rails console: find_by_token('gldt-xxx')
