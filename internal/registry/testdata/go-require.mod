module example.com/m

go 1.22

require (
	golang.org/x/net v0.23.0
	golang.org/x/text v0.14.0 // indirect
)

require example.com/one v1.0.0
