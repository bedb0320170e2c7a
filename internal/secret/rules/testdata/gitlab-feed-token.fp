glft-xxxxxxxxxxxxxxxxxxxx
glft-_eh3nDPMHOAU was truncated in the log
glft-<token>
Rails console: find_by_token('glft-xxx')
