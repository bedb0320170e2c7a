package cargolock

import (
	"testing"

	"github.com/airlock-sec/airlock/internal/inventory/inventorytest"
)

func TestFileRequired(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"Cargo.lock", true},
		{"crates/cli/Cargo.lock", true},
		{"cargo.lock", false},
		{"Cargo.toml", false},
		{"Cargo.lock.orig", false},
		{"xCargo.lock", false},
	}
	x := New()
	for _, tt := range tests {
		if got := x.FileRequired(tt.path); got != tt.want {
			t.Errorf("FileRequired(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestGolden(t *testing.T) {
	inventorytest.Golden(t, New(), "testdata/*.lock")
}

func FuzzExtract(f *testing.F) {
	inventorytest.Fuzz(f, New(), "Cargo.lock", "testdata/*.lock")
}
