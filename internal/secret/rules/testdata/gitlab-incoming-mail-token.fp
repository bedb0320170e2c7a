glimt-xxxxxxxxxxxxxxxxxxxx
glimt-7C2AxzeyqP29 was truncated in the log
glimt-<token>
Rails console: find_by_token('glimt-xxx')
