gloas-xxxxxxxxxxxxxxxxxxxx
gloas-CpYo2cCCjLJ5 was truncated in the log
gloas-<token>
Rails console: find_by_token('gloas-xxx')
