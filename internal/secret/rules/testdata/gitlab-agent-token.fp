glagent-xxxxxxxxxxxxxxxxxxxx
glagent-6edN_z3nsvnC was truncated in the log
glagent-<token>
Rails console: find_by_token('glagent-xxx')
