glsoat-xxxxxxxxxxxxxxxxxxxx
glsoat-LcNvq65bjAVq was truncated in the log
glsoat-<token>
Rails console: find_by_token('glsoat-xxx')
