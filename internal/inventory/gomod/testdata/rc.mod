module example.com/preview

go 1.22rc1

require golang.org/x/exp v0.0.0-20231006140011-7918f672742d
