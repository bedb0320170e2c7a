package gemfilelock

import (
	"testing"

	"github.com/airlock-sec/airlock/internal/inventory/inventorytest"
)

func TestFileRequired(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"Gemfile.lock", true},
		{"apps/web/Gemfile.lock", true},
		{"gems.locked", true},
		{"Gemfile", false},
		{"gemfile.lock", false},
		{"Gemfile.lock.bak", false},
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
	inventorytest.Fuzz(f, New(), "Gemfile.lock", "testdata/*.lock")
}
