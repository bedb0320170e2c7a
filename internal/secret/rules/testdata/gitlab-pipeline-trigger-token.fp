glptt-xxxxxxxxxxxxxxxxxxxx
glptt-WS2nAKfF3YZr was truncated in the log
glptt-<token>
Rails console: find_by_token('glptt-xxx')
