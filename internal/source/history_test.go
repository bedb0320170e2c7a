package source

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const secretLine = "token = \"glpat-Zq3xV7bN2mK9pL4sT8wY\"\n"

func TestHistoryDeletedSecret(t *testing.T) {
	r := newGitRepo(t)
	r.write("config/app.env", "name=demo\nport=8080\n")
	c0 := r.commit("config")
	r.write("config/app.env", "name=demo\n"+secretLine+"port=8080\n")
	c1 := r.commit("add token")
	r.write("config/app.env", "name=demo\nport=8080\n")
	r.commit("remove token")
	r.remove("config/app.env")
	r.commit("remove config")

	got, st := r.history(HistoryOptions{})
	want := []hunk{
		r.want(c1, 1, "config/app.env", 2, secretLine),
		r.want(c0, 0, "config/app.env", 1, "name=demo\nport=8080\n"),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hunks (-want +got):\n%s", diff)
	}
	wantStats := Stats{Commits: 4, Files: 2, Hunks: 2, AddedBytes: int64(len(secretLine) + 20)}
	if diff := cmp.Diff(wantStats, st); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestHistoryHunks(t *testing.T) {
	r := newGitRepo(t)
	r.write("a.txt", "1\n2\n3\n4\n5\n6\n7\n8\n9\n")
	r.commit("nine lines")
	// Two separate changes, one replacing a line, one inserting two, and
	// an addition at the end of a file that had no final newline.
	r.write("a.txt", "1\nTWO\n3\n4\n5\n6\n6a\n6b\n7\n8\n9\n")
	r.write("b.txt", "no newline")
	c1 := r.commit("edits")
	r.write("b.txt", "no newline\nnow two lines")
	c2 := r.commit("append")

	got, _ := r.history(HistoryOptions{})
	want := []hunk{
		r.want(c2, 2, "b.txt", 1, "no newline\nnow two lines\n"),
		r.want(c1, 1, "a.txt", 2, "TWO\n"),
		r.want(c1, 1, "a.txt", 7, "6a\n6b\n"),
		r.want(c1, 1, "b.txt", 1, "no newline\n"),
	}
	got = got[:len(got)-1] // the first commit's nine lines
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hunks (-want +got):\n%s", diff)
	}
}

// Lines of content that look like the headers of a diff are content.
func TestHistoryHeaderLikeContent(t *testing.T) {
	r := newGitRepo(t)
	content := "++ b/evil.txt\n" + "diff --git a/x b/x\n" + "@@ -1 +1,400 @@\n" + "-- a/x\n" + "\\ No newline at end of file\n" + "Binary files a/x and b/x differ\n" + "new file mode 160000\n"
	r.write("notes.md", content)
	c := r.commit("headers")
	got, st := r.history(HistoryOptions{})
	want := []hunk{r.want(c, 0, "notes.md", 1, content)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hunks (-want +got):\n%s", diff)
	}
	if st.Binary != 0 {
		t.Errorf("Binary = %d, want 0", st.Binary)
	}
}

func TestHistoryRenames(t *testing.T) {
	r := newGitRepo(t)
	body := "alpha line one\nbeta line two\ngamma line three\ndelta line four\nepsilon line five\n"
	r.write("old/name.txt", body)
	c0 := r.commit("add")
	if err := os.Mkdir(filepath.Join(r.dir, "new"), 0o755); err != nil {
		t.Fatal(err)
	}
	r.git("mv", "old/name.txt", "new/place.txt")
	c1 := r.commit("move")
	r.git("mv", "new/place.txt", "final.txt")
	r.write("final.txt", strings.Replace(body, "gamma line three", "GAMMA line three", 1))
	c2 := r.commit("move and edit")

	var renames []Rename
	got, st := r.history(HistoryOptions{Renames: func(rn Rename) { renames = append(renames, rn) }})
	sort.Slice(renames, func(i, j int) bool { return renames[i].Date.Before(renames[j].Date) })
	wantRenames := []Rename{
		{Commit: c1, Date: r.date(1), From: "old/name.txt", To: "new/place.txt"},
		{Commit: c2, Date: r.date(2), From: "new/place.txt", To: "final.txt"},
	}
	if diff := cmp.Diff(wantRenames, renames, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("renames (-want +got):\n%s", diff)
	}
	want := []hunk{
		r.want(c2, 2, "final.txt", 3, "GAMMA line three\n"),
		r.want(c0, 0, "old/name.txt", 1, body),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hunks (-want +got):\n%s", diff)
	}
	if st.Commits != 3 {
		t.Errorf("Commits = %d, want 3", st.Commits)
	}
}

func TestHistoryPaths(t *testing.T) {
	paths := []string{
		"with space/file name.txt",
		"ünïcødé/日本語.txt",
		"tab\there.txt",
		"quote\"d.txt",
		"back\\slash.txt",
		"new\nline.txt",
		"trailing space .txt",
		"b/starts-with-b.txt",
		"-dash.txt",
		"\x01control.txt",
	}
	r := newGitRepo(t)
	for i, p := range paths {
		r.write(p, strings.Repeat("x", i+1)+"\n")
	}
	c := r.commit("odd names")
	got, _ := r.history(HistoryOptions{})
	var want []hunk
	for i, p := range paths {
		want = append(want, r.want(c, 0, p, 1, strings.Repeat("x", i+1)+"\n"))
	}
	sortHunks(want)
	sortHunks(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hunks (-want +got):\n%s", diff)
	}
}

func sortHunks(hs []hunk) {
	for i := range hs {
		for j := i + 1; j < len(hs); j++ {
			if hs[j].Path < hs[i].Path {
				hs[i], hs[j] = hs[j], hs[i]
			}
		}
	}
}

func TestHistoryBinaryAndSpecialFiles(t *testing.T) {
	r := newGitRepo(t)
	r.write("logo.png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"+secretLine)
	r.write("readme.txt", "hello\n")
	if err := os.Symlink("readme.txt", filepath.Join(r.dir, "link")); err != nil {
		t.Fatal(err)
	}
	c0 := r.commit("binary, text and link")
	sub := r.git("rev-parse", "HEAD")
	r.git("update-index", "--add", "--cacheinfo", "160000,"+sub+",vendor/lib")
	r.git("commit", "-q", "-m", "submodule")
	r.n++
	r.write("logo.png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR changed")
	r.commit("binary change")

	got, st := r.history(HistoryOptions{})
	want := []hunk{r.want(c0, 0, "readme.txt", 1, "hello\n")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hunks (-want +got):\n%s", diff)
	}
	wantStats := Stats{Commits: 3, Files: 1, Hunks: 1, AddedBytes: 6, Binary: 2}
	if diff := cmp.Diff(wantStats, st); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

// branchRepo has a main line, a feature branch merged into it, an unmerged
// branch and a tag on a commit that no branch contains.
func branchRepo(t *testing.T) (r *gitRepo, main0, feat, other, tagged, main1 string) {
	r = newGitRepo(t)
	r.write("main.txt", "main 0\n")
	main0 = r.commit("main 0")
	r.git("checkout", "-q", "-b", "feature")
	r.write("feature.txt", "feature\n")
	feat = r.commit("feature")
	r.git("checkout", "-q", "main")
	r.write("main.txt", "main 0\nmain 1\n")
	main1 = r.commit("main 1")
	r.git("merge", "-q", "--no-ff", "-m", "merge feature", "feature")
	r.n++
	r.git("checkout", "-q", "-b", "other", main0)
	r.write("other.txt", "other\n")
	other = r.commit("other")
	r.git("checkout", "-q", "--detach", main0)
	r.write("tagged.txt", "tagged\n")
	tagged = r.commit("tagged")
	r.git("tag", "v1")
	r.git("checkout", "-q", "main")
	return r, main0, feat, other, tagged, main1
}

func commitsOf(hs []hunk) map[string]string {
	m := map[string]string{}
	for _, h := range hs {
		m[h.Commit] = h.Path
	}
	return m
}

func TestHistoryBranches(t *testing.T) {
	r, main0, feat, other, tagged, main1 := branchRepo(t)
	tests := []struct {
		name    string
		o       HistoryOptions
		want    map[string]string
		commits int
	}{
		{"all", HistoryOptions{}, map[string]string{main0: "main.txt", feat: "feature.txt", main1: "main.txt", other: "other.txt", tagged: "tagged.txt"}, 6},
		{"main", HistoryOptions{Branches: []string{"main"}}, map[string]string{main0: "main.txt", feat: "feature.txt", main1: "main.txt"}, 4},
		{"two refs", HistoryOptions{Branches: []string{"other", "refs/tags/v1"}}, map[string]string{main0: "main.txt", other: "other.txt", tagged: "tagged.txt"}, 3},
		{"since", HistoryOptions{Since: main0}, map[string]string{feat: "feature.txt", main1: "main.txt", other: "other.txt", tagged: "tagged.txt"}, 5},
		{"since on a branch", HistoryOptions{Since: "feature", Branches: []string{"main"}}, map[string]string{main1: "main.txt"}, 2},
		{"since head", HistoryOptions{Since: "main", Branches: []string{"main"}}, map[string]string{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, st := r.history(tt.o)
			if diff := cmp.Diff(tt.want, commitsOf(got)); diff != "" {
				t.Errorf("commits (-want +got):\n%s", diff)
			}
			if st.Commits != tt.commits {
				t.Errorf("Commits = %d, want %d (merges count, without hunks)", st.Commits, tt.commits)
			}
		})
	}
}

func TestHistoryBadRevisions(t *testing.T) {
	r, _, _, _, _, _ := branchRepo(t)
	for _, o := range []HistoryOptions{
		{Since: "no-such-rev"},
		{Branches: []string{"no-such-branch"}},
		{Branches: []string{"--output=" + filepath.Join(t.TempDir(), "x")}},
		{Since: "--all"},
		{Branches: []string{""}},
	} {
		_, err := History(t.Context(), r.dir, o, func(Hunk) error { return nil })
		if err == nil {
			t.Errorf("History(%+v): no error", o)
			continue
		}
		if !strings.Contains(err.Error(), r.dir) {
			t.Errorf("History(%+v): error %q does not name the repository", o, err)
		}
	}
}

func TestHistoryEmptyRepository(t *testing.T) {
	r := newGitRepo(t)
	got, st := r.history(HistoryOptions{})
	if len(got) != 0 || st != (Stats{}) {
		t.Errorf("empty repository: %d hunks, %+v; want none", len(got), st)
	}
	if _, err := History(t.Context(), r.dir, HistoryOptions{Branches: []string{"main"}}, func(Hunk) error { return nil }); err == nil {
		t.Error("empty repository, branch main: no error")
	}
}

func TestHistoryBareClone(t *testing.T) {
	r := newGitRepo(t)
	r.write("a.txt", "a\n")
	c := r.commit("a")
	bare := filepath.Join(t.TempDir(), "bare.git")
	r.git("clone", "-q", "--bare", r.dir, bare)
	var got []hunk
	if _, err := History(t.Context(), bare, HistoryOptions{}, collect(&got)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]hunk{r.want(c, 0, "a.txt", 1, "a\n")}, got); diff != "" {
		t.Errorf("hunks (-want +got):\n%s", diff)
	}
}

func TestHistoryNotARepository(t *testing.T) {
	requireGit(t)
	plain := t.TempDir()
	r := newGitRepo(t)
	r.write("sub/a.txt", "a\n")
	r.commit("a")
	file := filepath.Join(r.dir, "sub", "a.txt")
	tests := []struct{ path, want string }{
		{plain, "is not a git repository"},
		{filepath.Join(r.dir, "sub"), "is not a git repository"},
		{filepath.Join(plain, "missing"), "no such file or directory"},
		{file, "not a directory"},
	}
	for _, tt := range tests {
		_, err := History(t.Context(), tt.path, HistoryOptions{}, func(Hunk) error { return nil })
		if err == nil || !strings.Contains(err.Error(), tt.path) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("History(%s) = %v, want an error naming the path and saying %q", tt.path, err, tt.want)
		}
	}
	_, err := History(t.Context(), r.dir, HistoryOptions{GitPath: filepath.Join(plain, "no-git")}, func(Hunk) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "install git") {
		t.Errorf("missing git: %v, want a hint to install git", err)
	}
}

// A GIT_DIR left in the environment (by a hook, say) does not redirect
// History to another repository.
func TestHistoryIgnoresGitDir(t *testing.T) {
	r := newGitRepo(t)
	r.write("a.txt", "a\n")
	c := r.commit("a")
	other := newGitRepo(t)
	other.write("b.txt", "b\n")
	other.commit("b")
	t.Setenv("GIT_DIR", filepath.Join(other.dir, ".git"))
	got, _ := r.history(HistoryOptions{})
	if diff := cmp.Diff([]hunk{r.want(c, 0, "a.txt", 1, "a\n")}, got); diff != "" {
		t.Errorf("hunks (-want +got):\n%s", diff)
	}
}

func TestHistoryHugeLine(t *testing.T) {
	r := newGitRepo(t)
	line := strings.Repeat("A1b2C3d4", 10<<20/8) // 10 MiB, no newline
	r.write("min.js", "head\n"+line+"\ntail\n")
	r.commit("minified")
	got, st := r.history(HistoryOptions{})
	if len(got) != 1 || got[0].Content != "head\n"+line+"\ntail\n" || got[0].StartLine != 1 {
		t.Fatalf("got %d hunks, want one with the 10 MiB line", len(got))
	}
	if st.AddedBytes != int64(len(line)+11) {
		t.Errorf("AddedBytes = %d, want %d", st.AddedBytes, len(line)+11)
	}
}

func TestHistoryLargeFileSplit(t *testing.T) {
	r := newGitRepo(t)
	var b strings.Builder
	n := 0
	for b.Len() < maxHunkBytes+(1<<20) {
		b.WriteString(strings.Repeat("z", 99) + "\n")
		n++
	}
	r.write("big.txt", b.String())
	r.commit("big")
	got, _ := r.history(HistoryOptions{})
	if len(got) != 2 {
		t.Fatalf("got %d hunks, want 2", len(got))
	}
	if got[0].Content+got[1].Content != b.String() {
		t.Error("split hunks do not add up to the file")
	}
	if want := strings.Count(got[0].Content, "\n") + 1; got[1].StartLine != want {
		t.Errorf("second hunk starts at line %d, want %d", got[1].StartLine, want)
	}
	if len(got[0].Content) > maxHunkBytes+100 {
		t.Errorf("first hunk has %d bytes, more than %d", len(got[0].Content), maxHunkBytes)
	}
}

// manyCommits makes a repository of n commits quickly with git fast-import.
func manyCommits(t *testing.T, n int) string {
	t.Helper()
	r := newGitRepo(t)
	var b strings.Builder
	for i := range n {
		content := strings.Repeat("line of commit "+strconv.Itoa(i)+"\n", 50)
		b.WriteString("commit refs/heads/main\n")
		b.WriteString("committer A <a@example.com> " + strconv.Itoa(1700000000+i) + " +0000\n")
		b.WriteString("data 1\nc\n")
		b.WriteString("M 644 inline f" + strconv.Itoa(i%10) + ".txt\n")
		b.WriteString("data " + strconv.Itoa(len(content)) + "\n" + content + "\n")
	}
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = r.dir
	cmd.Env = testGitEnv()
	cmd.Stdin = strings.NewReader(b.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("fast-import: %v\n%s", err, out)
	}
	return r.dir
}

func TestHistoryCallbackError(t *testing.T) {
	dir := manyCommits(t, 2000)
	stop := errors.New("enough")
	calls := 0
	st, err := History(t.Context(), dir, HistoryOptions{Jobs: 4}, func(Hunk) error {
		calls++
		if calls == 3 {
			return stop
		}
		return nil
	})
	if err != stop {
		t.Errorf("err = %v, want the callback's error as is", err)
	}
	if calls != 3 || st.Hunks != 3 {
		t.Errorf("calls = %d, Hunks = %d after the callback failed; want 3", calls, st.Hunks)
	}
}

func TestHistoryCancel(t *testing.T) {
	dir := manyCommits(t, 2000)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	start := time.Now()
	calls := 0
	_, err := History(ctx, dir, HistoryOptions{}, func(Hunk) error {
		calls++
		if calls == 2 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("cancelled History took %v", d)
	}

	// Cancelled before it starts.
	_, err = History(ctx, dir, HistoryOptions{}, func(Hunk) error { t.Fatal("callback called"); return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestRevArgs(t *testing.T) {
	tests := []struct {
		o    HistoryOptions
		want string
	}{
		{HistoryOptions{}, "--all --end-of-options --"},
		{HistoryOptions{Since: "v1", Branches: []string{"main", "dev"}}, "--end-of-options ^v1 main dev --"},
		{HistoryOptions{Since: "v1"}, "--all --end-of-options ^v1 --"},
	}
	for _, tt := range tests {
		args, err := revArgs(tt.o)
		if err != nil || strings.Join(args, " ") != tt.want {
			t.Errorf("revArgs(%+v) = %q, %v; want %q", tt.o, args, err, tt.want)
		}
	}
}

// One git process or four give the same hunks.
func TestHistoryJobs(t *testing.T) {
	dir := manyCommits(t, 1000)
	var results [][]hunk
	for _, jobs := range []int{1, 4} {
		var hs []hunk
		st, err := History(t.Context(), dir, HistoryOptions{Jobs: jobs}, collect(&hs))
		if err != nil {
			t.Fatal(err)
		}
		if st.Commits != 1000 || st.Hunks != len(hs) {
			t.Errorf("jobs %d: %+v for %d hunks", jobs, st, len(hs))
		}
		sort.SliceStable(hs, func(i, j int) bool { return hs[i].Date.After(hs[j].Date) })
		results = append(results, hs)
	}
	if diff := cmp.Diff(results[0], results[1]); diff != "" {
		t.Errorf("jobs 1 (-) and 4 (+) differ:\n%s", diff)
	}
}
