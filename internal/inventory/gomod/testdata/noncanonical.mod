module example.com/broken

go 1.21

require github.com/pkg/errors 0.9.1
