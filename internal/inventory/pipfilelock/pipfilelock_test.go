package pipfilelock

import (
	"testing"

	"github.com/airlock-sec/airlock/internal/inventory/inventorytest"
)

func TestFileRequired(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"Pipfile.lock", true},
		{"backend/Pipfile.lock", true},
		{"Pipfile", false},
		{"pipfile.lock", false},
		{"Pipfile.lock.bak", false},
		{"poetry.lock", false},
	}
	x := New()
	for _, tt := range tests {
		if got := x.FileRequired(tt.path); got != tt.want {
			t.Errorf("FileRequired(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestGolden(t *testing.T) {
	inventorytest.Golden(t, New(), "testdata/*/Pipfile.lock")
}

func TestMemberLines(t *testing.T) {
	data := []byte("{\"_meta\": {\"a\": 1},\n \"default\": {\n  \"x\\\"y\": {\"version\": \"==1\"},\n  \"z\": {}}, \"list\": [{\"k\": 1}]}")
	got := memberLines(data)
	want := []keyLine{{"default", `x"y`, 3}, {"default", "z", 4}}
	if len(got) != len(want) {
		t.Fatalf("memberLines = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("memberLines[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

func FuzzExtract(f *testing.F) {
	inventorytest.Fuzz(f, New(), "Pipfile.lock", "testdata/*/Pipfile.lock")
}
