module example.com/win

go 1.21.6

require (
	github.com/rs/zerolog v1.31.0
	github.com/mattn/go-colorable v0.1.13 // indirect
)
