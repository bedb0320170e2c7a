module github.com/acme/old

go 1.13

require (
	github.com/golang/protobuf v1.3.2
	google.golang.org/grpc v1.25.1
)
