module example.com/fixture

go 1.23.0

require golang.org/x/crypto v0.14.0

require (
	golang.org/x/net v0.17.0 // indirect
	golang.org/x/sys v0.13.0 // indirect
)
