package maven

import (
	"strings"
	"testing"

	"github.com/airlock-sec/airlock/internal/inventory/inventorytest"
)

func TestFileRequired(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"pom.xml", true},
		{"services/orders/pom.xml", true},
		{"POM.xml", false},
		{"pom.xml.bak", false},
		{"effective-pom.xml", false},
		{"build.gradle", false},
	}
	x := New()
	for _, tt := range tests {
		if got := x.FileRequired(tt.path); got != tt.want {
			t.Errorf("FileRequired(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestGolden(t *testing.T) {
	inventorytest.Golden(t, New(), "testdata/*.xml")
}

// Properties that double each other's length stop at maxValue instead of
// growing without bound.
func TestPropertyExpansionBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("<project><properties><p0>xxxxxxxx</p0>")
	for i := 1; i < 40; i++ {
		b.WriteString("<p" + itoa(i) + ">${p" + itoa(i-1) + "}${p" + itoa(i-1) + "}</p" + itoa(i) + ">")
	}
	b.WriteString("</properties><dependencies><dependency><groupId>g</groupId><artifactId>a</artifactId><version>${p39}</version></dependency></dependencies></project>")
	p, err := read(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	v, c, _ := newResolver([]*pom{p}).version("${p39}")
	if v != "" || c != "${p39}" {
		t.Errorf("version = %q, constraint = %q; want unpinned ${p39}", v, c)
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

func FuzzExtract(f *testing.F) {
	inventorytest.Fuzz(f, New(), "pom.xml", "testdata/*.xml")
}

// TestGoldenTree reads a multi-module project: parents found by
// relativePath (default ../pom.xml) inside the tree, properties and managed
// versions across the chain, profiles active by default, and parents that
// are missing, another project's, cyclic or outside the tree.
func TestGoldenTree(t *testing.T) {
	for _, pattern := range []string{"pom.xml", "*/pom.xml", "*/*/pom.xml"} {
		inventorytest.GoldenTree(t, New(), "testdata/multi", pattern)
	}
}
