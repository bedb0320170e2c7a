// Package secretscan is the "secret" analyzer: it runs the secret
// detector over every file of the tree and, when asked, every line that
// git history added, with the operator's rules, else the repository's own
// .gitleaks.toml, else the embedded rules, and applies .gitleaksignore.
package secretscan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/airlock-sec/airlock/internal/analyzer"
	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/secret"
	"github.com/airlock-sec/airlock/internal/source"
)

// DefaultMaxFileSize bounds the files secret detection reads.
const DefaultMaxFileSize = 16 << 20

// Config configures secret detection.
type Config struct {
	// Detector runs the rules: the operator's, or the embedded defaults.
	Detector *secret.Detector
	// Operator says Detector holds the operator's own rules
	// (--secret-config): the repository's .gitleaks.toml is then not read.
	Operator bool
	// Defaults are the site's default rules (from a data bundle) that
	// Detector was built from, which a repository's .gitleaks.toml
	// extends by [extend] useDefault; nil: the embedded rules.
	Defaults *secret.Config
	// History scans every commit's added lines too (the target must be a
	// git work tree or repository); Since and Branches narrow it.
	History  bool
	Since    string
	Branches []string
	// MaxFileSize is the largest file read; larger files are skipped and
	// counted. 0 means DefaultMaxFileSize.
	MaxFileSize int64
}

// Analyzer finds secrets.
type Analyzer struct{ c Config }

// New returns the analyzer. c.Detector must be set.
func New(c Config) *Analyzer {
	if c.MaxFileSize <= 0 {
		c.MaxFileSize = DefaultMaxFileSize
	}
	return &Analyzer{c: c}
}

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "secret" }

// Needs implements analyzer.Analyzer: nothing beyond the tree.
func (*Analyzer) Needs() []analyzer.Need { return nil }

// FileRequired implements analyzer.Analyzer: every file (binary files
// still meet the rules that match on the path alone).
func (*Analyzer) FileRequired(string) bool { return true }

// Analyze implements analyzer.Analyzer: the files, then the history when
// asked, then the ignore file.
func (a *Analyzer) Analyze(ctx context.Context, in *analyzer.Input) (*analyzer.Output, error) {
	det := a.c.Detector
	if !a.c.Operator {
		cfg, err := in.Repo.GitleaksOn(a.c.Defaults)
		if err != nil {
			return nil, err
		}
		if cfg != nil {
			if det, err = secret.NewDetector(cfg); err != nil {
				return nil, fmt.Errorf("%s: %w", analyzer.GitleaksFile, err)
			}
		}
	}
	before := det.Stats().AllowedFragments
	total := len(in.Files)
	fs, st := scanFiles(ctx, in.Tree, in.Files, det, a.c.MaxFileSize, func(n int) {
		in.Progress(analyzer.Progress{Stage: "secret", Done: n, Total: total})
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	notices := []analyzer.Notice{{Level: analyzer.NoticeInfo, Message: fmt.Sprintf(
		"secret detection read %d files (%.1f MB); skipped %d binary, %d over the size limit, %d unreadable, %d excluded by the rules' allowlisted paths",
		st.files, float64(st.bytes)/1e6, st.binary, st.large, st.unreadable, det.Stats().AllowedFragments-before)}}
	// A file that could not be read was not searched: the scan is
	// incomplete.
	for _, u := range st.firstUnreadable {
		notices = append(notices, analyzer.Notice{Level: analyzer.NoticeError, Message: "not read: " + u})
	}
	if more := st.unreadable - len(st.firstUnreadable); more > 0 {
		notices = append(notices, analyzer.Notice{Level: analyzer.NoticeError, Message: fmt.Sprintf("%d more files could not be read", more)})
	}
	if a.c.History {
		hist, hs, err := scanHistory(ctx, in.Root, det, a.c, func(done, listed int) {
			in.Progress(analyzer.Progress{Stage: "history", Done: done, Total: listed})
		})
		if err != nil {
			return nil, err
		}
		fs = mergeHistory(fs, hist)
		notices = append(notices, analyzer.Notice{Level: analyzer.NoticeInfo, Message: fmt.Sprintf(
			"history: %d commits, %d file changes, %.1f MB of added lines; %d binary changes skipped",
			hs.Commits, hs.Files, float64(hs.AddedBytes)/1e6, hs.Binary)})
	}
	entries, err := in.Repo.GitleaksIgnore()
	if err != nil {
		return nil, err
	}
	for i := range fs {
		if ignoredByFile(entries, &fs[i]) {
			fs[i].Ignored = &finding.Ignore{Reason: "listed in " + analyzer.GitleaksIgnoreFile, Source: analyzer.GitleaksIgnoreFile}
		}
	}
	notices = append(notices, inlineIgnores(in.Tree, fs, a.c.MaxFileSize)...)
	return &analyzer.Output{Findings: fs, Notices: notices}, nil
}

// secretStats counts what secret detection read and skipped.
type secretStats struct {
	files, binary, large, unreadable int
	bytes                            int64
	firstUnreadable                  []string
}

// scanSecretFiles runs the detector over the tree's files on all cores.
func scanFiles(ctx context.Context, tree *source.Tree, files []string, det *secret.Detector, maxSize int64, progress func(int)) ([]finding.Finding, secretStats) {
	var (
		mu  sync.Mutex
		out []finding.Finding
		st  secretStats
		wg  sync.WaitGroup
	)
	var done atomic.Int64
	// Work goes out a directory at a time (the walk lists a directory's
	// files together): a worker opens the directory once and each file by
	// its name in it, instead of resolving every file's path from the root.
	next := make(chan []string, 16)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []finding.Finding
			var ls secretStats
			var buf []byte // the worker's read buffer: Detect keeps no content
			for batch := range next {
				dir, _ := path.Split(batch[0])
				var sub *source.Tree
				if dir != "" && ctx.Err() == nil {
					sub, _ = tree.Sub(strings.TrimSuffix(dir, "/"))
				}
				for _, rel := range batch {
					if n := done.Add(1); n%256 == 0 {
						progress(int(n))
					}
					if ctx.Err() != nil {
						continue
					}
					b, why := readForSecrets(tree, sub, rel, maxSize, &buf)
					switch why {
					case "":
					case "binary":
						ls.binary++
					case "large":
						ls.large++
					default:
						ls.unreadable++
						if len(ls.firstUnreadable) < 5 {
							ls.firstUnreadable = append(ls.firstUnreadable, rel+": "+why)
						}
					}
					if why == "" || why == "binary" {
						// Binary files still meet the rules that match on the
						// path alone (a keystore, a .pem).
						if why == "binary" {
							b = nil
						}
						ls.files++
						ls.bytes += int64(len(b))
						for _, m := range det.Detect(secret.Fragment{Path: rel, Content: b, StartLine: 1}) {
							local = append(local, m.Finding())
						}
					}
				}
				if sub != nil {
					sub.Close()
				}
			}
			mu.Lock()
			out = append(out, local...)
			st.files += ls.files
			st.bytes += ls.bytes
			st.binary += ls.binary
			st.large += ls.large
			st.unreadable += ls.unreadable
			st.firstUnreadable = append(st.firstUnreadable, ls.firstUnreadable...)
			mu.Unlock()
		}()
	}
	for i := 0; i < len(files); {
		dir, _ := path.Split(files[i])
		j := i + 1
		for j < len(files) && j-i < maxBatch && path.Dir(files[j])+"/" == dir {
			j++
		}
		next <- files[i:j]
		i = j
	}
	close(next)
	wg.Wait()
	return out, st
}

// maxBatch bounds the files of one directory given to a worker at once.
const maxBatch = 64

// readForSecrets reads a file into *buf, grown as needed, or says why not:
// "binary", "large", or the error. The bytes returned are valid until the
// next call with buf. Minified bundles are read like any file: live keys
// end up in bundled JavaScript, and the detector stays linear on long
// lines.
//
// sub, when not nil, is the file's directory opened as a tree; where it
// refuses the file (a link out of the directory), the tree decides.
func readForSecrets(tree, sub *source.Tree, rel string, maxSize int64, buf *[]byte) ([]byte, string) {
	var f fs.File
	err := errors.New("no directory")
	if sub != nil {
		f, err = sub.Open(path.Base(rel))
	}
	if err != nil {
		f, err = tree.Open(rel)
	}
	if err != nil {
		return nil, source.Bare(err).Error()
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err.Error()
	}
	if fi.Size() > maxSize {
		return nil, "large"
	}
	if int64(cap(*buf)) < fi.Size() {
		*buf = make([]byte, fi.Size())
	}
	b := (*buf)[:fi.Size()]
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, err.Error()
	}
	if secret.IsBinary(b) {
		return b, "binary"
	}
	return b, ""
}

// scanSecretHistory runs the detector over every added line in the
// repository's history and merges the same secret at the same path across
// commits into one finding with its first and last commits. A file moved
// after the secret was added (git mv) takes the finding along: it is
// reported at the file's newest path, where the tree scan finds it.
func scanHistory(ctx context.Context, repo string, det *secret.Detector, c Config, progress func(done, listed int)) ([]finding.Finding, source.Stats, error) {
	type agg struct {
		f           finding.Finding
		first, last finding.Commit
		commits     map[string]bool
		digest      string
		occurrence  int
	}
	var (
		mu      sync.Mutex
		byFP    = map[string]*agg{}
		renames []source.Rename
		wg      sync.WaitGroup
	)
	next := make(chan source.Hunk, 256)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for h := range next {
				ms := det.Detect(secret.Fragment{Path: h.Path, Content: h.Content, StartLine: h.StartLine,
					Commit: h.Commit, Author: h.Author, Email: h.Email, Date: h.Date})
				if len(ms) == 0 {
					continue
				}
				c := finding.Commit{SHA: h.Commit, Author: h.Author, Email: h.Email, Date: h.Date.UTC()}
				mu.Lock()
				for _, m := range ms {
					a := byFP[m.Fingerprint]
					if a == nil {
						a = &agg{f: m.Finding(), first: c, last: c, commits: map[string]bool{}, digest: secret.Digest(m.Secret), occurrence: m.Occurrence}
						byFP[m.Fingerprint] = a
					}
					a.commits[c.SHA] = true
					if c.Date.Before(a.first.Date) {
						a.first = c
						a.f = m.Finding()
					}
					if c.Date.After(a.last.Date) {
						a.last = c
					}
				}
				mu.Unlock()
			}
		}()
	}
	ho := source.HistoryOptions{Since: c.Since, Branches: c.Branches, Progress: progress, Renames: func(r source.Rename) {
		mu.Lock()
		renames = append(renames, r)
		mu.Unlock()
	}}
	stats, err := source.History(ctx, repo, ho, func(h source.Hunk) error {
		h.Content = append([]byte(nil), h.Content...)
		select {
		case next <- h:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(next)
	wg.Wait()
	if err != nil {
		return nil, stats, fmt.Errorf("secret: history: %w", err)
	}
	// Follow each finding's file through the moves made after the secret
	// was first added; findings that meet at one path become one.
	moves := movesByPath(renames)
	merged := make(map[string]*agg, len(byFP))
	for _, a := range byFP {
		if p := followMoves(moves, a.f.Location.Path, a.first.Date); p != a.f.Location.Path {
			a.f.Location.Path = p
			a.f.Fingerprint = secret.FingerprintDigest(a.f.ID, p, a.digest, a.occurrence)
		}
		b := merged[a.f.Fingerprint]
		if b == nil {
			merged[a.f.Fingerprint] = a
			continue
		}
		for sha := range a.commits {
			b.commits[sha] = true
		}
		if a.first.Date.Before(b.first.Date) {
			b.first, b.f = a.first, a.f
		}
		if a.last.Date.After(b.last.Date) {
			b.last = a.last
		}
	}
	out := make([]finding.Finding, 0, len(merged))
	for _, a := range merged {
		f := a.f
		f.Location.Commit = a.first.SHA
		f.History = &finding.History{First: a.first, Last: a.last, Commits: len(a.commits)}
		out = append(out, f)
	}
	return out, stats, nil
}

// movesByPath indexes renames by their old path, oldest first.
func movesByPath(renames []source.Rename) map[string][]source.Rename {
	out := map[string][]source.Rename{}
	for _, r := range renames {
		out[r.From] = append(out[r.From], r)
	}
	for _, rs := range out {
		sort.Slice(rs, func(i, j int) bool { return rs[i].Date.Before(rs[j].Date) })
	}
	return out
}

// followMoves returns where a file at p since the date since was moved to:
// the first move of p at or after since, then that file's next, and so
// on. Each move is followed once, so a file moved back and forth ends.
func followMoves(moves map[string][]source.Rename, p string, since time.Time) string {
	used := map[source.Rename]bool{}
	for {
		var next *source.Rename
		for i, r := range moves[p] {
			if !r.Date.Before(since) && !used[r] {
				next = &moves[p][i]
				break
			}
		}
		if next == nil {
			return p
		}
		used[*next] = true
		p, since = next.To, next.Date
	}
}

// mergeHistory attaches history to the tree's findings of the same secret
// at the same path, and adds the secrets found only in history (committed
// and since deleted).
func mergeHistory(tree, hist []finding.Finding) []finding.Finding {
	idx := map[string]int{}
	for i, f := range tree {
		idx[f.Fingerprint] = i
	}
	for _, h := range hist {
		if i, ok := idx[h.Fingerprint]; ok {
			tree[i].History = h.History
			continue
		}
		tree = append(tree, h)
	}
	return tree
}

// ignoredByFile reports whether an ignore-file entry names the finding:
// its airlock fingerprint, or gitleaks' "path:rule:line" and
// "commit:path:rule:line" forms (history findings by any of their first
// commit's forms).
func ignoredByFile(entries map[string]bool, f *finding.Finding) bool {
	if len(entries) == 0 || f.Kind != finding.KindSecret {
		return false
	}
	if entries[f.Fingerprint] {
		return true
	}
	tail := f.Location.Path + ":" + f.ID + ":" + strconv.Itoa(f.Location.StartLine)
	if entries[tail] {
		return true
	}
	return f.Location.Commit != "" && entries[f.Location.Commit+":"+tail]
}

// inlineIgnores applies "airlock:ignore <rule> <reason>" markers (the
// marker IaC findings take, finding.IgnoreMarker) on or above a secret's
// line in the working tree. Unlike gitleaks:allow, which hides a line
// from the rules, the finding stays in the report, ignored, with its
// reason. A marker without a reason is a warning and not applied.
func inlineIgnores(tree *source.Tree, fs []finding.Finding, maxSize int64) []analyzer.Notice {
	var notices []analyzer.Notice
	content := map[string][]byte{}
	for i := range fs {
		f := &fs[i]
		if f.Ignored != nil || f.History != nil || f.Location.Commit != "" || f.Location.StartLine <= 0 || tree == nil {
			continue
		}
		b, ok := content[f.Location.Path]
		if !ok {
			b, _ = tree.ReadFile(f.Location.Path, maxSize)
			if !bytes.Contains(b, []byte(finding.IgnoreMarker)) {
				b = nil
			}
			content[f.Location.Path] = b
		}
		ig, msg := finding.InlineIgnore(b, f.Location.StartLine, f.ID)
		switch {
		case ig != nil:
			ig.Source = fmt.Sprintf("%s:%d", f.Location.Path, ig.Line)
			f.Ignored = ig
		case msg != "":
			notices = append(notices, analyzer.Notice{Level: analyzer.NoticeWarning, Path: f.Location.Path, Line: f.Location.StartLine, Message: msg})
		}
	}
	return notices
}
