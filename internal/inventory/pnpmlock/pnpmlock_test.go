package pnpmlock

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/inventory/inventorytest"
)

var _ inventory.Extractor = New()

func TestFileRequired(t *testing.T) {
	for _, tc := range []struct {
		path string
		want bool
	}{
		{"pnpm-lock.yaml", true},
		{"a/b/pnpm-lock.yaml", true},
		{"pnpm-lock.yaml.bak", false},
		{"pnpm-lock.yml", false},
		{"pnpm-workspace.yaml", false},
		{"node_modules/.pnpm/lock.yaml", false},
		{"node_modules/foo/pnpm-lock.yaml", false},
		{"a/node_modules/@s/foo/pnpm-lock.yaml", false},
	} {
		if got := New().FileRequired(tc.path); got != tc.want {
			t.Errorf("FileRequired(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}

func TestGolden(t *testing.T) {
	inventorytest.Golden(t, New(), "testdata/*.yaml")
}

func TestParseKey(t *testing.T) {
	for _, tc := range []struct {
		key           string
		major         int
		name, version string
	}{
		{"/ms/2.1.3", 5, "ms", "2.1.3"},
		{"/@scope/x/1.0.0_react@18.2.0", 5, "@scope/x", "1.0.0"},
		{"/@scope/x/1.0.0_@types+react@18.2.0+react@18.2.0", 5, "@scope/x", "1.0.0"},
		{"registry.example.com/custom/1.0.0", 5, "custom", "1.0.0"},
		{"/ms@2.1.3", 6, "ms", "2.1.3"},
		{"/@scope/x@1.0.0(@types/react@18.2.0)(react@18.2.0)", 6, "@scope/x", "1.0.0"},
		{"@scope/x@1.0.0", 9, "@scope/x", "1.0.0"},
		{"x@1.0.0(react@18.2.0)", 9, "x", "1.0.0"},
		{"x@https://example.com/x.tgz", 9, "x", "https://example.com/x.tgz"},
		{"@scope", 9, "", ""},
	} {
		name, version := parseKey(tc.key, tc.major)
		if name != tc.name || version != tc.version {
			t.Errorf("parseKey(%q, %d) = %q, %q; want %q, %q", tc.key, tc.major, name, version, tc.name, tc.version)
		}
	}
}

func TestKeyValue(t *testing.T) {
	for _, tc := range []struct {
		body, key, value string
		block            bool
	}{
		{"lockfileVersion: '9.0'", "lockfileVersion", "9.0", false},
		{"packages:", "packages", "", true},
		{"'@s/x@1.0.0':", "@s/x@1.0.0", "", true},
		{"'@s/x@1.0.0': {}", "@s/x@1.0.0", "{}", false},
		{"x@https://e.com/x.tgz:", "x@https://e.com/x.tgz", "", true},
		{`"a\"b": 'it''s'`, `a"b`, "it's", false},
		{"dev: true # comment", "dev", "true", false},
	} {
		key, value, block, err := keyValue(tc.body)
		if err != nil || key != tc.key || value != tc.value || block != tc.block {
			t.Errorf("keyValue(%q) = %q, %q, %v, %v; want %q, %q, %v", tc.body, key, value, block, err, tc.key, tc.value, tc.block)
		}
	}
}

func FuzzExtract(f *testing.F) {
	inventorytest.Fuzz(f, New(), "pnpm-lock.yaml", "testdata/*.yaml")
}

// generate returns a version 9 lockfile with n packages.
func generate(n int) []byte {
	var b bytes.Buffer
	b.WriteString("lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n")
	for i := range min(n, 40) {
		fmt.Fprintf(&b, "      %s:\n        specifier: ^1.0.0\n        version: %s\n", quoted(name(i)), version(i))
	}
	b.WriteString("\npackages:\n\n")
	for i := range n {
		fmt.Fprintf(&b, "  %s:\n    resolution: {integrity: sha512-%s==}\n    engines: {node: '>=14'}\n\n", quoted(name(i)+"@"+version(i)), strings.Repeat("C", 86))
	}
	b.WriteString("snapshots:\n\n")
	for i := range n {
		fmt.Fprintf(&b, "  %s:\n    dependencies:\n", quoted(name(i)+"@"+version(i)))
		for j := i + 1; j < min(n, i+3); j++ {
			fmt.Fprintf(&b, "      %s: %s\n", quoted(name(j)), version(j))
		}
		b.WriteString("\n")
	}
	return b.Bytes()
}

func name(i int) string {
	if i%10 == 9 {
		return fmt.Sprintf("@scope-%d/pkg-%d", i%17, i)
	}
	return fmt.Sprintf("pkg-%d", i)
}

func version(i int) string { return fmt.Sprintf("%d.%d.%d", i%5+1, i%13, i%3) }

func quoted(s string) string {
	if strings.HasPrefix(s, "@") {
		return "'" + s + "'"
	}
	return s
}

func TestLarge(t *testing.T) {
	data := generate(10_000)
	start := time.Now()
	pkgs, err := New().Extract(context.Background(), &inventory.Input{Path: "pnpm-lock.yaml", Reader: bytes.NewReader(data)})
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 10_000 {
		t.Errorf("got %d packages, want 10000", len(pkgs))
	}
	direct := 0
	for _, p := range pkgs {
		if p.Relation == inventory.RelationDirect {
			direct++
		}
	}
	if direct != 40 {
		t.Errorf("got %d direct packages, want 40", direct)
	}
	t.Logf("%d bytes in %v", len(data), elapsed)
}

func BenchmarkExtract10k(b *testing.B) {
	data := generate(10_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New().Extract(context.Background(), &inventory.Input{Path: "pnpm-lock.yaml", Reader: bytes.NewReader(data)}); err != nil {
			b.Fatal(err)
		}
	}
}
