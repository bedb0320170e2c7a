module github.com/acme/tool

go 1.20

require (
	github.com/pkg/errors v0.9.1
	golang.org/x/sync v0.0.0-20220722155255-886fb9371eb4 // indirect
)
