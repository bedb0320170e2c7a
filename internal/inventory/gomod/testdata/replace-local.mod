module example.com/monorepo/api

go 1.22

require (
	example.com/monorepo/shared v0.0.0-00010101000000-000000000000
	github.com/jackc/pgx/v5 v5.5.0
	github.com/jackc/puddle/v2 v2.2.1 // indirect
)

replace (
	example.com/monorepo/shared => ../shared
	github.com/jackc/pgx/v5 v5.5.0 => ./third_party/pgx
	github.com/jackc/puddle/v2 => github.com/acme/puddle/v2 v2.2.2-0.20240101000000-abcdefabcdef
)
