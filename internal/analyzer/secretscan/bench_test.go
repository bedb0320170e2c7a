package secretscan

import (
	"context"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-sec/airlock/internal/secret"
	"github.com/airlock-sec/airlock/internal/source"
)

// goroot returns $(go env GOROOT)/src and its regular files, relative.
func goroot(tb testing.TB) (string, []string) {
	tb.Helper()
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		tb.Skip("no go env GOROOT:", err)
	}
	root := filepath.Join(strings.TrimSpace(string(out)), "src")
	var files []string
	err = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		tb.Skip("GOROOT source not readable:", err)
	}
	return root, files
}

// BenchmarkScanFilesGoroot reads and scans $(go env GOROOT)/src as the
// CLI does after its walk: every file opened through the tree, read and
// given to the detector on GOMAXPROCS workers. MB/s is over the bytes read.
func BenchmarkScanFilesGoroot(b *testing.B) {
	root, files := goroot(b)
	tree, err := source.OpenTree(root)
	if err != nil {
		b.Skip(err)
	}
	defer tree.Close()
	det, err := secret.NewDetector(secret.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	var st secretStats
	var n int
	for b.Loop() {
		out, s := scanFiles(context.Background(), tree, files, det, DefaultMaxFileSize, func(int) {})
		st, n = s, len(out)
	}
	b.SetBytes(st.bytes)
	b.ReportMetric(float64(st.files), "files")
	b.ReportMetric(float64(n), "findings")
}
