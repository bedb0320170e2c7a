module example.com/corp

go 1.23.4

toolchain default
