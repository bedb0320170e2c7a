package source

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// mkhistory builds a repository with bench/mkhistory.sh and returns its
// directory and the added bytes that the script counted.
func mkhistory(tb testing.TB, commits int) (string, int64) {
	tb.Helper()
	requireGit(tb)
	if _, err := exec.LookPath("python3"); err != nil {
		tb.Skip("bench/mkhistory.sh needs python3")
	}
	script, err := filepath.Abs(filepath.Join("..", "..", "bench", "mkhistory.sh"))
	if err != nil {
		tb.Fatal(err)
	}
	dir := filepath.Join(tb.TempDir(), "history")
	cmd := exec.Command("bash", script, dir, strconv.Itoa(commits))
	cmd.Env = testGitEnv()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("mkhistory.sh: %v\n%s", err, stderr.String())
	}
	added, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		tb.Fatalf("mkhistory.sh printed %q, want the added bytes", out)
	}
	return dir, added
}

// The generated history is what History reads: the same added bytes as the
// script's own count, secrets among them, merges and binaries counted.
func TestMkhistory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 1,000-commit repository")
	}
	dir, added := mkhistory(t, 1000)
	var tokens int
	st, err := History(t.Context(), dir, HistoryOptions{}, func(h Hunk) error {
		if h.StartLine < 1 || h.Path == "" {
			t.Errorf("bad hunk %+v", h)
		}
		tokens += strings.Count(string(h.Content), "glpat-") + strings.Count(string(h.Content), "ghp_") + strings.Count(string(h.Content), "AKIA")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.AddedBytes != added {
		t.Errorf("AddedBytes = %d, mkhistory.sh counted %d", st.AddedBytes, added)
	}
	if st.Commits != 1000 || st.Binary == 0 || tokens == 0 {
		t.Errorf("stats %+v, %d tokens; want 1000 commits, binaries and tokens", st, tokens)
	}
	if out, err := exec.Command("git", "-C", dir, "rev-list", "--merges", "--count", "--all").Output(); err != nil || strings.TrimSpace(string(out)) == "0" {
		t.Errorf("no merge commits (%s, %v)", out, err)
	}
}

// BenchmarkHistory walks the history of bench/mkhistory.sh (10,000 commits,
// or $AIRLOCK_BENCH_COMMITS) with one git process and with the default
// number, and reports the added bytes per second.
func BenchmarkHistory(b *testing.B) {
	commits := 10000
	if s := os.Getenv("AIRLOCK_BENCH_COMMITS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatalf("AIRLOCK_BENCH_COMMITS=%q: %v", s, err)
		}
		commits = n
	}
	dir, added := mkhistory(b, commits)
	for _, jobs := range []int{1, 0} {
		name := "jobs=" + strconv.Itoa(jobs)
		if jobs == 0 {
			name = "jobs=default"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(added)
			for b.Loop() {
				st, err := History(b.Context(), dir, HistoryOptions{Jobs: jobs}, func(Hunk) error { return nil })
				if err != nil {
					b.Fatal(err)
				}
				if st.AddedBytes != added {
					b.Fatalf("AddedBytes = %d, want %d", st.AddedBytes, added)
				}
			}
		})
	}
}
