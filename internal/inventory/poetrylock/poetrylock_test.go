package poetrylock

import (
	"testing"

	"github.com/airlock-sec/airlock/internal/inventory/inventorytest"
)

func TestFileRequired(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"poetry.lock", true},
		{"services/api/poetry.lock", true},
		{"Poetry.lock", false},
		{"poetry.lock.bak", false},
		{"pyproject.toml", false},
		{"uv.lock", false},
	}
	x := New()
	for _, tt := range tests {
		if got := x.FileRequired(tt.path); got != tt.want {
			t.Errorf("FileRequired(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestGolden(t *testing.T) {
	inventorytest.Golden(t, New(), "testdata/*/poetry.lock")
}

func FuzzExtract(f *testing.F) {
	inventorytest.Fuzz(f, New(), "poetry.lock", "testdata/*/poetry.lock")
}
