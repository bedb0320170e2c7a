package secretscan

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/airlock-sec/airlock/internal/secret"
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
	b, why := readForSecrets(tree, nil, "big.txt", 1<<20, &buf)
	if why != "" || string(b) != files["big.txt"] {
		t.Fatalf("big.txt: %q, %d bytes", why, len(b))
	}
	first := &buf[0]
	for _, name := range []string{"small.txt", "bin.dat", "empty.txt"} {
		b, why := readForSecrets(tree, nil, name, 1<<20, &buf)
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
	if _, why := readForSecrets(tree, nil, "big.txt", 100, &buf); why != "large" {
		t.Fatalf("big.txt over the limit: %q", why)
	}
}

// TestScanFilesByDirectory: files are opened through their directory, and
// a link the directory cannot resolve alone (to a sibling directory) is
// read through the tree, while one leaving the tree stays refused.
func TestScanFilesByDirectory(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	key := `api_key = "Zq8Lm2Wx9Rt4Kv7Bn3Hs"` + "\n"
	write := func(name, text string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("top.ini", key)
	write("a/b/deep.ini", key)
	write("a/b/plain.txt", "nothing\n")
	write("c/other.ini", key)
	if err := os.WriteFile(filepath.Join(outside, "x.ini"), []byte(key), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../c/other.ini", filepath.Join(dir, "a/b/link.ini")); err != nil {
		t.Skip("no symbolic links:", err)
	}
	if err := os.Symlink(filepath.Join(outside, "x.ini"), filepath.Join(dir, "a/b/escape.ini")); err != nil {
		t.Fatal(err)
	}
	tree, err := source.OpenTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	det, err := secret.NewDetector(secret.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"top.ini", "a/b/deep.ini", "a/b/escape.ini", "a/b/link.ini", "a/b/plain.txt", "c/other.ini"}
	fs, st := scanFiles(context.Background(), tree, files, det, DefaultMaxFileSize, func(int) {})
	var got []string
	for _, f := range fs {
		got = append(got, f.Location.Path)
	}
	slices.Sort(got)
	want := []string{"a/b/deep.ini", "a/b/link.ini", "c/other.ini", "top.ini"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if st.files != 5 || st.unreadable != 1 || len(st.firstUnreadable) != 1 || !strings.HasPrefix(st.firstUnreadable[0], "a/b/escape.ini: ") {
		t.Errorf("stats %+v", st)
	}
}
