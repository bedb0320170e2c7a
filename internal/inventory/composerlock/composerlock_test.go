package composerlock

import (
	"testing"

	"github.com/airlock-sec/airlock/internal/inventory/inventorytest"
)

func TestFileRequired(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"composer.lock", true},
		{"web/composer.lock", true},
		{"composer.json", false},
		{"Composer.lock", false},
		{"composer.lock.bak", false},
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
	inventorytest.Golden(t, New(), "testdata/no-manifest/composer.lock")
}

func TestVersion(t *testing.T) {
	for _, tt := range []struct{ in, version, constraint string }{
		{"1.2.3", "1.2.3", ""},
		{"v1.2.3", "1.2.3", ""},
		{"version-5", "version-5", ""},
		{"v", "v", ""},
		{"dev-main", "", "dev-main"},
		{"2.x-dev", "", "2.x-dev"},
		{"", "", ""},
	} {
		v, c := version(tt.in)
		if v != tt.version || c != tt.constraint {
			t.Errorf("version(%q) = %q, %q; want %q, %q", tt.in, v, c, tt.version, tt.constraint)
		}
	}
}

func FuzzExtract(f *testing.F) {
	inventorytest.Fuzz(f, New(), "composer.lock", "testdata/*.lock")
}
