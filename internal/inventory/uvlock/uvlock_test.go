package uvlock

import (
	"testing"

	"github.com/airlock-sec/airlock/internal/inventory/inventorytest"
)

func TestFileRequired(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"uv.lock", true},
		{"apps/api/uv.lock", true},
		{"UV.lock", false},
		{"uv.lock.orig", false},
		{"poetry.lock", false},
		{"pyproject.toml", false},
	}
	x := New()
	for _, tt := range tests {
		if got := x.FileRequired(tt.path); got != tt.want {
			t.Errorf("FileRequired(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

// TestGolden runs over testdata/*.lock: the harness hands each file over
// under its own base name, which is all the extractor reads.
func TestGolden(t *testing.T) {
	inventorytest.Golden(t, New(), "testdata/*.lock")
}

func FuzzExtract(f *testing.F) {
	inventorytest.Fuzz(f, New(), "uv.lock", "testdata/*.lock")
}
