glcbt-xxxxxxxxxxxxxxxxxxxx
glcbt-1Y8xSphi40hP was truncated in the log
glcbt-<token>
Rails console: find_by_token('glcbt-xxx')
