glrt-xxxxxxxxxxxxxxxxxxxx
glrt-1d9PWTloA_nF was truncated in the log
glrt-<token>
Rails console: find_by_token('glrt-xxx')
