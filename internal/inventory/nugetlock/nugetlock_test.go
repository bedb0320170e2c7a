package nugetlock

import (
	"testing"

	"github.com/airlock-sec/airlock/internal/inventory/inventorytest"
)

func TestFileRequired(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"packages.lock.json", true},
		{"src/Api/packages.lock.json", true},
		{"packages.config", false},
		{"Packages.lock.json", false},
		{"packages.lock.json.bak", false},
		{"project.assets.json", false},
	}
	x := New()
	for _, tt := range tests {
		if got := x.FileRequired(tt.path); got != tt.want {
			t.Errorf("FileRequired(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestGolden(t *testing.T) {
	inventorytest.Golden(t, New(), "testdata/*.json")
}

func FuzzExtract(f *testing.F) {
	inventorytest.Fuzz(f, New(), "packages.lock.json", "testdata/*.json")
}
