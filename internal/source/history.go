package source

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Hunk is the added lines of one file in one commit, contiguous in the new
// file.
type Hunk struct {
	Commit string    // full commit id
	Author string    // author name as recorded in the commit (no mailmap)
	Email  string    // author email as recorded in the commit
	Date   time.Time // author date, with the author's time zone

	Path      string // slash-separated path in the new tree
	StartLine int    // line number of the first added line in the new file, from 1

	// Content is the added lines, each ending in "\n" (also the last line
	// of a file that has no final newline). It is only valid during the
	// call to the callback: History reuses the buffer, so a callback that
	// keeps content must copy it.
	Content []byte
}

// Rename is a file that a commit moved (git mv), with or without changes
// to its content.
type Rename struct {
	Commit   string    // full commit id
	Date     time.Time // author date
	From, To string    // slash-separated paths before and after
}

// HistoryOptions selects the part of a history that History walks.
type HistoryOptions struct {
	// Renames, when set, is called for every file moved by a commit walked,
	// never concurrently with itself or with History's fn. A moved file's
	// unchanged lines are not added again, so this is how a caller follows
	// content to its new path.
	Renames func(Rename)

	Since    string   // a revision: only commits after it (REV..)
	Branches []string // refs to walk; empty = all branches and tags (--all)
	GitPath  string   // the git executable; "git" when empty
	Jobs     int      // git processes run at once; 0: one per CPU, at most 4
	// Progress, when set, is called as commits are listed and walked:
	// done of the listed so far (the list grows until rev-list ends). It
	// may be called from several goroutines at once.
	Progress func(done, listed int)
}

// Stats counts what History walked.
type Stats struct {
	Commits    int   // commits walked, merges and empty commits included
	Files      int   // file changes that yielded at least one hunk
	Hunks      int   // hunks handed to the callback
	AddedBytes int64 // bytes of added content handed to the callback
	Binary     int   // binary file changes, counted and skipped
}

// maxHunkBytes bounds the content of one Hunk: a longer run of added lines
// is handed over in consecutive hunks, split between lines, so that memory
// stays bounded by this size plus the longest line whatever the files' sizes.
const maxHunkBytes = 16 << 20

// stderrLimit is how much of git's standard error an error message quotes.
const stderrLimit = 4 << 10

// commitMarker starts the line that git prints for each commit; no line of
// a diff's headers or bodies can start with a NUL byte.
const commitMarker = "\x00commit\x00"

// History runs `git log -p` in repo and calls fn for every hunk of added
// lines, streaming: memory stays bounded whatever the history's size.
//
// repo is the top directory of a work tree or a git directory (a bare
// clone); a directory inside another repository is not one. The walk
// covers every commit reachable from o.Branches (all branches and tags when
// empty) and not from o.Since. Each commit's added lines are those of its
// diff against its parent, with renames detected (a moved file's content is
// not added again). Merge commits contribute no hunks: what they bring in
// is seen in the commits of the merged branches; only content that first
// appears in a merge's conflict resolution is not seen. Deleted files,
// submodule (gitlink) and symbolic link changes yield nothing; binary
// changes are counted in Stats.Binary and skipped.
//
// Computing diffs is most of the cost, so batches of commits are diffed by
// several git processes at once (o.Jobs). fn is never called concurrently,
// and a commit's hunks come one after the other in path and line order,
// but the commits come in no particular order.
//
// A repository without commits has an empty history: History returns zero
// Stats and no error (with o.Branches or o.Since set, the revisions do not
// exist and git's error is returned). When fn returns an error, git is
// stopped, fn is not called again and its error is returned as is; when ctx
// is done, git is killed and the error wraps ctx.Err(). The Stats returned
// with an error count what was walked until then.
func History(ctx context.Context, repo string, o HistoryOptions, fn func(Hunk) error) (Stats, error) {
	git := o.GitPath
	if git == "" {
		git = "git"
	}
	dir, err := repoDir(ctx, git, repo)
	if err != nil {
		return Stats{}, err
	}
	revs, err := revArgs(o)
	if err != nil {
		return Stats{}, fmt.Errorf("source: history of %s: %w", repo, err)
	}
	jobs := o.Jobs
	if jobs <= 0 {
		jobs = min(runtime.GOMAXPROCS(0), maxJobs)
	}

	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		total    Stats
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	var (
		fnMu    sync.Mutex
		stopped bool
	)
	serial := func(h Hunk) error {
		fnMu.Lock()
		defer fnMu.Unlock()
		if stopped {
			return errStopped
		}
		if err := fn(h); err != nil {
			stopped = true
			return err
		}
		return nil
	}
	var renames func(Rename)
	if o.Renames != nil {
		renames = func(r Rename) {
			fnMu.Lock()
			defer fnMu.Unlock()
			if !stopped {
				o.Renames(r)
			}
		}
	}

	var done, listed int
	progress := func(d, l int) {
		if o.Progress == nil {
			return
		}
		mu.Lock()
		done += d
		listed += l
		dn, ls := done, listed
		mu.Unlock()
		o.Progress(dn, ls)
	}
	batches := make(chan []string)
	var wg sync.WaitGroup
	for range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for batch := range batches {
				st, err := logBatch(wctx, git, dir, batch, serial, renames)
				mu.Lock()
				total.add(st)
				mu.Unlock()
				progress(len(batch), 0)
				if err != nil {
					fail(err)
					for range batches {
						// Let the producer finish; it stops on wctx.
					}
					return
				}
			}
		}()
	}
	err = revList(wctx, git, dir, revs, func(batch []string) error {
		progress(0, len(batch))
		select {
		case batches <- batch:
			return nil
		case <-wctx.Done():
			return wctx.Err()
		}
	})
	if err != nil {
		fail(err)
	}
	close(batches)
	wg.Wait()

	if cerr := ctx.Err(); cerr != nil {
		return total, fmt.Errorf("source: history of %s: %w", repo, cerr)
	}
	var cb callbackError
	switch {
	case firstErr == nil:
		return total, nil
	case errors.As(firstErr, &cb):
		return total, cb.err
	default:
		return total, fmt.Errorf("source: history of %s: %w", repo, firstErr)
	}
}

// maxJobs bounds the git processes that History runs at once by default.
const maxJobs = 4

// batchSize is how many commits one git log process diffs. Each process
// starts cold (pack indexes, delta base cache): on the 10,000-commit
// benchmark history, batches of 256 took 1.7 times as long as one process,
// batches of 1024 1.3 times, which parallel processes more than win back.
const batchSize = 1024

// errStopped is what the callback wrapper returns once fn has failed.
var errStopped = errors.New("stopped")

func (s *Stats) add(t Stats) {
	s.Commits += t.Commits
	s.Files += t.Files
	s.Hunks += t.Hunks
	s.AddedBytes += t.AddedBytes
	s.Binary += t.Binary
}

// revList runs git rev-list and hands the commit ids to emit in batches.
func revList(ctx context.Context, git, dir string, revs []string, emit func([]string) error) error {
	cmd := exec.CommandContext(ctx, git, append([]string{"rev-list"}, revs...)...)
	cmd.Dir = dir
	cmd.Env = gitEnv(dir)
	cmd.WaitDelay = 5 * time.Second
	stderr := &limitedBuffer{max: stderrLimit}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return gitStartError(git, err)
	}
	var eerr error
	batch := make([]string, 0, batchSize)
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		batch = append(batch, sc.Text())
		if len(batch) == batchSize {
			if eerr = emit(batch); eerr != nil {
				break
			}
			batch = make([]string, 0, batchSize)
		}
	}
	if eerr == nil && sc.Err() == nil && len(batch) > 0 {
		eerr = emit(batch)
	}
	if eerr != nil || sc.Err() != nil {
		_ = cmd.Process.Kill()
	}
	werr := cmd.Wait()
	switch {
	case eerr != nil:
		return eerr
	case sc.Err() != nil:
		return fmt.Errorf("reading git rev-list: %w", sc.Err())
	case werr != nil:
		return fmt.Errorf("git rev-list: %v%s", werr, stderr.quote())
	}
	return nil
}

// logBatch runs git log on the commits of batch and parses its output.
func logBatch(ctx context.Context, git, dir string, batch []string, fn func(Hunk) error, renames func(Rename)) (Stats, error) {
	cmd := exec.CommandContext(ctx, git, logArgs()...)
	cmd.Dir = dir
	cmd.Env = gitEnv(dir)
	cmd.WaitDelay = 5 * time.Second
	cmd.Stdin = strings.NewReader(strings.Join(batch, "\n") + "\n")
	stderr := &limitedBuffer{max: stderrLimit}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return Stats{}, err
	}
	if err := cmd.Start(); err != nil {
		return Stats{}, gitStartError(git, err)
	}
	p := newParser(fn)
	p.rename = renames
	perr := p.parse(bufio.NewReaderSize(stdout, 1<<20))
	if perr != nil {
		// Stop git before waiting: it may be blocked writing to the pipe.
		_ = cmd.Process.Kill()
	}
	werr := cmd.Wait()
	var cb callbackError
	switch {
	case errors.As(perr, &cb):
		return p.stats, perr
	case ctx.Err() != nil:
		return p.stats, ctx.Err()
	case perr != nil:
		return p.stats, fmt.Errorf("reading git log: %w", perr)
	case werr != nil:
		return p.stats, fmt.Errorf("git log: %v%s", werr, stderr.quote())
	}
	return p.stats, nil
}

// logArgs is the git command line that prints the history of the commits
// given on its standard input in the form the parser reads. Every option
// that a user's configuration could change and that matters to parsing is
// set explicitly.
func logArgs() []string {
	return []string{
		"--no-pager",
		"-c", "core.quotepath=off", // non-ASCII paths verbatim, only control characters, '"' and '\' quoted
		"log",
		"--format=" + strings.ReplaceAll(commitMarker, "\x00", "%x00") + "%H%x00%an%x00%ae%x00%aI",
		"--patch", "--unified=0", // only changed lines
		"--no-color", "--no-ext-diff", "--no-textconv", "--no-relative",
		"--src-prefix=a/", "--dst-prefix=b/", // whatever diff.noprefix or diff.mnemonicPrefix say
		"--submodule=short",
		"--find-renames",        // a moved file's content is not added again
		"--irreversible-delete", // a deleted file's lines are not printed
		"--diff-merges=off",     // merges' changes appear in their parents' commits
		"--root",                // the first commit's files are added lines too
		"--no-show-signature", "--no-notes",
		"--no-walk=unsorted", "--stdin",
	}
}

// revArgs are the git rev-list arguments that select the commits to walk.
func revArgs(o HistoryOptions) ([]string, error) {
	var args []string
	if len(o.Branches) == 0 {
		args = append(args, "--all")
	}
	args = append(args, "--end-of-options")
	if o.Since != "" {
		args = append(args, "^"+o.Since)
	}
	for _, b := range o.Branches {
		if b == "" {
			return nil, errors.New("empty branch name")
		}
		args = append(args, b)
	}
	return append(args, "--"), nil
}

// repoDir checks that repo is a git repository in its own right (not a
// directory inside one) and returns its absolute path.
func repoDir(ctx context.Context, git, repo string) (string, error) {
	abs, err := filepath.Abs(repo)
	if err != nil {
		return "", fmt.Errorf("source: history of %s: %w", repo, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("source: history of %s: %w", repo, err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("source: history of %s: not a directory", repo)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	cmd := exec.CommandContext(ctx, git, "rev-parse", "--absolute-git-dir")
	cmd.Dir = abs
	cmd.Env = gitEnv(abs)
	stderr := &limitedBuffer{max: stderrLimit}
	cmd.Stderr = stderr
	if _, err := cmd.Output(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) && strings.Contains(stderr.String(), "not a git repository") {
			return "", fmt.Errorf("source: %s is not a git repository: give the top directory of a clone (or a bare clone)", repo)
		}
		if ctx.Err() != nil {
			return "", fmt.Errorf("source: history of %s: %w", repo, ctx.Err())
		}
		return "", fmt.Errorf("source: history of %s: git rev-parse: %w%s", repo, gitStartError(git, err), stderr.quote())
	}
	return abs, nil
}

// gitEnv is the environment of the git processes run in dir: the caller's,
// without the variables that would point git at another repository, and
// with discovery stopped at dir so that a directory inside a repository is
// not taken for that repository.
func gitEnv(dir string) []string {
	drop := map[string]bool{
		"GIT_DIR": true, "GIT_WORK_TREE": true, "GIT_INDEX_FILE": true,
		"GIT_COMMON_DIR": true, "GIT_OBJECT_DIRECTORY": true,
		"GIT_ALTERNATE_OBJECT_DIRECTORIES": true, "GIT_NAMESPACE": true,
		"GIT_CEILING_DIRECTORIES": true, "GIT_PREFIX": true,
		"GIT_EXTERNAL_DIFF": true, "GIT_PAGER": true, "LC_ALL": true,
	}
	env := make([]string, 0, len(os.Environ())+4)
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !drop[name] {
			env = append(env, kv)
		}
	}
	return append(env,
		"GIT_CEILING_DIRECTORIES="+filepath.Dir(dir),
		"GIT_TERMINAL_PROMPT=0",
		"GIT_OPTIONAL_LOCKS=0",
		"LC_ALL=C",
	)
}

// gitStartError says what to do when git cannot be run at all.
func gitStartError(git string, err error) error {
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s not found: install git or set its path (%w)", git, err)
	}
	return err
}

// limitedBuffer keeps the first max bytes written to it and counts the rest.
type limitedBuffer struct {
	buf     bytes.Buffer
	max     int
	dropped int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if room := b.max - b.buf.Len(); room < len(p) {
		b.dropped += len(p) - max(room, 0)
		p = p[:max(room, 0)]
	}
	b.buf.Write(p)
	return n, nil
}

func (b *limitedBuffer) String() string { return b.buf.String() }

// quote is the captured text for an error message: ": text", or nothing.
func (b *limitedBuffer) quote() string {
	s := strings.TrimSpace(b.buf.String())
	if s == "" {
		return ""
	}
	if b.dropped > 0 {
		s += fmt.Sprintf(" [%d more bytes]", b.dropped)
	}
	return ": " + s
}
