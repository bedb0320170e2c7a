glpat-xxxxxxxxxxxxxxxxxxxx
glpat-MFgUu0UNfeQW was truncated in the log
glpat-<token>
Rails console: find_by_token('glpat-xxx')
The default prefix is glpat- and can be changed by an administrator.
