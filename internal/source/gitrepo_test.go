package source

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// gitRepo is a throw-away repository whose commits have fixed authors and
// dates, so that commit ids are the same on every run.
type gitRepo struct {
	t   *testing.T
	dir string
	n   int // commits made, for the dates
}

// epoch is the date of a test repository's first commit; each later commit
// is one day after the one before.
var epoch = time.Date(2024, 3, 1, 12, 0, 0, 0, time.FixedZone("", 2*3600))

func requireGit(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
}

func newGitRepo(t *testing.T) *gitRepo {
	t.Helper()
	requireGit(t)
	r := &gitRepo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	return r
}

// testGitEnv isolates the test's git commands from the user's and the
// machine's configuration and from a GIT_DIR set by a hook.
func testGitEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GIT_") {
			env = append(env, kv)
		}
	}
	env = append(env, "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	return append(env, extra...)
}

func (r *gitRepo) git(args ...string) string {
	r.t.Helper()
	date := r.date(r.n).Format(time.RFC3339)
	cmd := exec.Command("git", append([]string{"-c", "user.name=Ada Lovelace", "-c", "user.email=ada@example.com", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"}, args...)...)
	cmd.Dir = r.dir
	cmd.Env = testGitEnv("GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func (r *gitRepo) date(i int) time.Time { return epoch.AddDate(0, 0, i) }

func (r *gitRepo) write(path, content string) {
	r.t.Helper()
	p := filepath.Join(r.dir, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func (r *gitRepo) remove(path string) {
	r.t.Helper()
	if err := os.Remove(filepath.Join(r.dir, filepath.FromSlash(path))); err != nil {
		r.t.Fatal(err)
	}
}

// commit commits everything in the work tree and returns the commit id.
func (r *gitRepo) commit(msg string) string {
	r.t.Helper()
	r.git("add", "-A")
	r.git("commit", "-q", "--allow-empty", "-m", msg)
	r.n++
	return r.git("rev-parse", "HEAD")
}

// hunk is a Hunk with its content as a string, for comparisons.
type hunk struct {
	Commit, Author, Email string
	Date                  time.Time
	Path                  string
	StartLine             int
	Content               string
}

func collect(hs *[]hunk) func(Hunk) error {
	return func(h Hunk) error {
		*hs = append(*hs, hunk{h.Commit, h.Author, h.Email, h.Date, h.Path, h.StartLine, string(h.Content)})
		return nil
	}
}

// history runs History on the repository and returns its hunks.
func (r *gitRepo) history(o HistoryOptions) ([]hunk, Stats) {
	r.t.Helper()
	var hs []hunk
	st, err := History(r.t.Context(), r.dir, o, collect(&hs))
	if err != nil {
		r.t.Fatalf("History: %v", err)
	}
	// Commits come in no particular order, each commit's hunks together.
	sort.SliceStable(hs, func(i, j int) bool { return hs[i].Date.After(hs[j].Date) })
	return hs, st
}

// want is the hunk that commit c of this repository (made as the i-th
// commit) should yield.
func (r *gitRepo) want(c string, i int, path string, line int, content string) hunk {
	return hunk{c, "Ada Lovelace", "ada@example.com", r.date(i), path, line, content}
}

func (h hunk) String() string {
	return fmt.Sprintf("%.7s %s:%d %q", h.Commit, h.Path, h.StartLine, h.Content)
}
