glffct-xxxxxxxxxxxxxxxxxxxx
glffct-04yiA7MgxBGr was truncated in the log
glffct-<token>
Rails console: find_by_token('glffct-xxx')
