package yarnlock

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
		{"yarn.lock", true},
		{"a/b/yarn.lock", true},
		{"yarn.lock.bak", false},
		{"old-yarn.lock", false},
		{"package-lock.json", false},
		{".yarn/yarn.lock", true},
		{"node_modules/foo/yarn.lock", false},
		{"a/node_modules/@s/foo/yarn.lock", false},
	} {
		if got := New().FileRequired(tc.path); got != tc.want {
			t.Errorf("FileRequired(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}

func TestGolden(t *testing.T) {
	inventorytest.Golden(t, New(), "testdata/*.lock")
	inventorytest.Golden(t, New(), "testdata/*/yarn.lock")
}

func TestSplitKey(t *testing.T) {
	for key, want := range map[string]string{
		`a@^1.0.0`:                     `a@^1.0.0`,
		`a@^1.0.0, a@^1.1.0`:           `a@^1.0.0|a@^1.1.0`,
		`"@s/a@^1.0.0", "@s/a@^1.1.0"`: `@s/a@^1.0.0|@s/a@^1.1.0`,
		`"a@npm:^1.0.0, a@npm:^1.1.0"`: `a@npm:^1.0.0|a@npm:^1.1.0`,
		`"js-tokens@^3.0.0 || ^4.0.0"`: `js-tokens@^3.0.0 || ^4.0.0`,
		`"x@npm:y@1", z@2`:             `x@npm:y@1|z@2`,
	} {
		specs, err := splitKey(key)
		if got := strings.Join(specs, "|"); err != nil || got != want {
			t.Errorf("splitKey(%s) = %q, %v; want %q", key, got, err, want)
		}
	}
	for _, key := range []string{`a@1,`, `"a@1`, `, a@1`} {
		if specs, err := splitKey(key); err == nil {
			t.Errorf("splitKey(%s) = %q, want an error", key, specs)
		}
	}
}

func FuzzExtract(f *testing.F) {
	inventorytest.Fuzz(f, New(), "yarn.lock", "testdata/*.lock")
}

// generate returns a classic or berry lockfile with n packages.
func generate(n int, berry bool) []byte {
	var b bytes.Buffer
	if berry {
		b.WriteString("__metadata:\n  version: 8\n  cacheKey: 10c0\n\n")
	} else {
		b.WriteString("# yarn lockfile v1\n\n\n")
	}
	for i := range n {
		name := fmt.Sprintf("pkg-%d", i)
		if i%10 == 9 {
			name = fmt.Sprintf("@scope-%d/pkg-%d", i%17, i)
		}
		v := fmt.Sprintf("%d.%d.%d", i%5+1, i%13, i%3)
		if berry {
			fmt.Fprintf(&b, "\"%s@npm:^%d.0.0, %s@npm:^%d.1.0\":\n  version: %s\n  resolution: \"%s@npm:%s\"\n", name, i%5+1, name, i%5+1, v, name, v)
			fmt.Fprintf(&b, "  dependencies:\n    pkg-%d: \"npm:^1.0.0\"\n    pkg-%d: \"npm:^2.0.0\"\n", i+1, i+2)
			fmt.Fprintf(&b, "  checksum: 10c0/%s\n  languageName: node\n  linkType: hard\n\n", strings.Repeat("ab", 64))
		} else {
			fmt.Fprintf(&b, "\"%s@^%d.0.0\", \"%s@^%d.1.0\":\n  version \"%s\"\n", name, i%5+1, name, i%5+1, v)
			fmt.Fprintf(&b, "  resolved \"https://registry.yarnpkg.com/%s/-/x-%s.tgz#%s\"\n", name, v, strings.Repeat("a", 40))
			fmt.Fprintf(&b, "  integrity sha512-%s==\n", strings.Repeat("B", 86))
			fmt.Fprintf(&b, "  dependencies:\n    pkg-%d \"^1.0.0\"\n    pkg-%d \"^2.0.0\"\n\n", i+1, i+2)
		}
	}
	return b.Bytes()
}

func TestLarge(t *testing.T) {
	for _, berry := range []bool{false, true} {
		data := generate(10_000, berry)
		start := time.Now()
		pkgs, err := New().Extract(context.Background(), &inventory.Input{Path: "yarn.lock", Reader: bytes.NewReader(data)})
		elapsed := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		if len(pkgs) != 10_000 {
			t.Errorf("berry=%v: got %d packages, want 10000", berry, len(pkgs))
		}
		t.Logf("berry=%v: %d bytes in %v", berry, len(data), elapsed)
	}
}

func BenchmarkExtract10k(b *testing.B) {
	for _, berry := range []bool{false, true} {
		b.Run(fmt.Sprintf("berry=%v", berry), func(b *testing.B) {
			data := generate(10_000, berry)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := New().Extract(context.Background(), &inventory.Input{Path: "yarn.lock", Reader: bytes.NewReader(data)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
