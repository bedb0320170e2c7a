package requirements

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/inventory/inventorytest"
)

func TestFileRequired(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"requirements.txt", true},
		{"app/requirements.txt", true},
		{"requirements-dev.txt", true},
		{"requirements_test.txt", true},
		{"Requirements.TXT", true},
		{"dev-requirements.txt", true},
		{"test_requirements.txt", true},
		{"requirements/base.txt", true},
		{"src/requirements/prod.txt", true},
		{"requirements.in", false},
		{"requirements.txt.bak", false},
		{"constraints.txt", false},
		{"notes.txt", false},
		{"myrequirements.txt", false},
		{"requirements/README.md", false},
		{"Pipfile.lock", false},
	}
	x := New()
	for _, tt := range tests {
		if got := x.FileRequired(tt.path); got != tt.want {
			t.Errorf("FileRequired(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestGolden(t *testing.T) {
	inventorytest.Golden(t, New(), "testdata/*.txt")
}

// TestIncludeInSubdirectory checks that locations are relative to the scan
// root, not to the including file, and that errors are ParseErrors.
func TestIncludeInSubdirectory(t *testing.T) {
	root := fstest.MapFS{
		"svc/requirements.txt":      {Data: []byte("-r requirements/base.txt\nflask==3.0.0\n")},
		"svc/requirements/base.txt": {Data: []byte("\n-c ../constraints.txt\nrequests\n")},
		"svc/constraints.txt":       {Data: []byte("requests==2.31.0\n")},
		"bad/requirements.txt":      {Data: []byte("ok==1\n-r missing.txt\n")},
	}
	x := New()
	got, err := x.Extract(context.Background(), &inventory.Input{
		Path:   "svc/requirements.txt",
		Reader: strings.NewReader(string(root["svc/requirements.txt"].Data)),
		Root:   root,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []inventory.Package{
		{Ecosystem: inventory.PyPI, Name: "requests", Version: "2.31.0", Relation: inventory.RelationDirect,
			Location: inventory.Location{Path: "svc/requirements/base.txt", Line: 3}},
		{Ecosystem: inventory.PyPI, Name: "flask", Version: "3.0.0", Relation: inventory.RelationDirect,
			Location: inventory.Location{Path: "svc/requirements.txt", Line: 2}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("package %d = %+v, want %+v", i, got[i], want[i])
		}
	}

	_, err = x.Extract(context.Background(), &inventory.Input{
		Path:   "bad/requirements.txt",
		Reader: strings.NewReader(string(root["bad/requirements.txt"].Data)),
		Root:   root,
	})
	var pe *inventory.ParseError
	if !errors.As(err, &pe) || pe.Path != "bad/requirements.txt" || pe.Line != 2 {
		t.Errorf("missing include: got %v, want a ParseError at bad/requirements.txt:2", err)
	}
}

func TestNilRoot(t *testing.T) {
	x := New()
	got, err := x.Extract(context.Background(), &inventory.Input{Path: "requirements.txt", Reader: strings.NewReader("a==1\n")})
	if err != nil || len(got) != 1 {
		t.Fatalf("got %v, %v", got, err)
	}
	_, err = x.Extract(context.Background(), &inventory.Input{Path: "requirements.txt", Reader: strings.NewReader("-r b.txt\n")})
	var pe *inventory.ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("include without a file system: got %v, want a ParseError", err)
	}
}

func FuzzExtract(f *testing.F) {
	inventorytest.Fuzz(f, New(), "requirements.txt", "testdata/*.txt")
}
