package packagelock

import (
	"encoding/json"
	"syscall"
	"testing"
	"time"
)

func TestZZCPU(t *testing.T) {
	data := generate(10_000)
	var a, b syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &a)
	start := time.Now()
	const n = 20
	for range n {
		extract(t, data)
	}
	wall := time.Since(start)
	syscall.Getrusage(syscall.RUSAGE_SELF, &b)
	cpu := time.Duration(b.Utime.Nano() - a.Utime.Nano() + b.Stime.Nano() - a.Stime.Nano())
	t.Logf("bytes %d, wall/op %v, cpu/op %v", len(data), wall/n, cpu/n)
}

func TestZZUnmarshal(t *testing.T) {
	data := generate(10_000)
	var a, b syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &a)
	start := time.Now()
	const n = 20
	for range n {
		var v struct {
			Packages map[string]entry `json:"packages"`
		}
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatal(err)
		}
	}
	wall := time.Since(start)
	syscall.Getrusage(syscall.RUSAGE_SELF, &b)
	cpu := time.Duration(b.Utime.Nano() - a.Utime.Nano() + b.Stime.Nano() - a.Stime.Nano())
	t.Logf("unmarshal: wall/op %v, cpu/op %v", wall/n, cpu/n)
	syscall.Getrusage(syscall.RUSAGE_SELF, &a)
	start = time.Now()
	for range n {
		json.Valid(data)
	}
	wall = time.Since(start)
	syscall.Getrusage(syscall.RUSAGE_SELF, &b)
	cpu = time.Duration(b.Utime.Nano() - a.Utime.Nano() + b.Stime.Nano() - a.Stime.Nano())
	t.Logf("valid: wall/op %v, cpu/op %v", wall/n, cpu/n)
}
