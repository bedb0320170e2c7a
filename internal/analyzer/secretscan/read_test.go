package secretscan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-sec/airlock/internal/source"
)

// TestReadReusesBuffer: a worker reads every file into one buffer, grown
// only for a larger file, so reading allocates nothing per file.
func TestReadReusesBuffer(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"big.txt":   strings.Repeat("a", 4096),
		"small.txt": "token = 1\n",
		"bin.dat":   "a\x00b",
		"empty.txt": "",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tree, err := source.OpenTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	var buf []byte
	b, why := readForSecrets(tree, "big.txt", 1<<20, &buf)
	if why != "" || string(b) != files["big.txt"] {
		t.Fatalf("big.txt: %q, %d bytes", why, len(b))
	}
	first := &buf[0]
	for _, name := range []string{"small.txt", "bin.dat", "empty.txt"} {
		b, why := readForSecrets(tree, name, 1<<20, &buf)
		wantWhy := ""
		if name == "bin.dat" {
			wantWhy = "binary"
		}
		if why != wantWhy || string(b) != files[name] {
			t.Fatalf("%s: got %q, %q; want %q, %q", name, why, b, wantWhy, files[name])
		}
		if &buf[0] != first {
			t.Fatalf("%s: the buffer was reallocated", name)
		}
	}
	if _, why := readForSecrets(tree, "big.txt", 100, &buf); why != "large" {
		t.Fatalf("big.txt over the limit: %q", why)
	}
}
