package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/secret"
	"github.com/airlock-sec/airlock/internal/source"
)

// SecretOptions configure secret detection.
type SecretOptions struct {
	// Detector runs the rules.
	Detector *secret.Detector
	// History scans every commit's added lines too (the target must be a
	// git work tree or repository); Since and Branches narrow it.
	History  bool
	Since    string
	Branches []string
	// MaxFileSize is the largest file read; larger files are skipped and
	// counted. 0 means DefaultMaxSecretFileSize.
	MaxFileSize int64
}

// DefaultMaxSecretFileSize bounds the files secret detection reads.
const DefaultMaxSecretFileSize = 16 << 20

// IgnoreFile lists findings to leave out, as .gitleaksignore does:
// gitleaks fingerprints ("path:rule:line", "commit:path:rule:line") or
// airlock fingerprints.
const IgnoreFile = ".gitleaksignore"

// secretStats counts what secret detection read and skipped.
type secretStats struct {
	files, binary, large, unreadable int
	bytes                            int64
	firstUnreadable                  []string
}

// scanSecretFiles runs the detector over the tree's files on all cores.
func scanSecretFiles(ctx context.Context, root string, files []string, o *SecretOptions) ([]finding.Finding, secretStats) {
	maxSize := o.MaxFileSize
	if maxSize <= 0 {
		maxSize = DefaultMaxSecretFileSize
	}
	var (
		mu  sync.Mutex
		out []finding.Finding
		st  secretStats
		wg  sync.WaitGroup
	)
	next := make(chan string, 64)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []finding.Finding
			var ls secretStats
			for rel := range next {
				if ctx.Err() != nil {
					continue
				}
				b, why := readForSecrets(filepath.Join(root, filepath.FromSlash(rel)), maxSize)
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
					for _, m := range o.Detector.Detect(secret.Fragment{Path: rel, Content: b, StartLine: 1}) {
						local = append(local, m.Finding())
					}
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
	for _, f := range files {
		next <- f
	}
	close(next)
	wg.Wait()
	return out, st
}

// readForSecrets reads a file, or says why not: "binary", "large", or the
// error. Minified bundles are read like any file: live keys end up in
// bundled JavaScript, and the detector stays linear on long lines.
func readForSecrets(p string, maxSize int64) ([]byte, string) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err.Error()
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err.Error()
	}
	if fi.Size() > maxSize {
		return nil, "large"
	}
	b := make([]byte, fi.Size())
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
func scanSecretHistory(ctx context.Context, repo string, o *SecretOptions) ([]finding.Finding, source.Stats, error) {
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
				ms := o.Detector.Detect(secret.Fragment{Path: h.Path, Content: h.Content, StartLine: h.StartLine,
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
	ho := source.HistoryOptions{Since: o.Since, Branches: o.Branches, Renames: func(r source.Rename) {
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
		return nil, stats, fmt.Errorf("scan: history: %w", err)
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

// maxIgnoreFileSize bounds .gitleaksignore.
const maxIgnoreFileSize = 4 << 20

// loadIgnoreFile reads .gitleaksignore at the root: one entry a line,
// "#" comments. It is the repository's file: only a regular file inside
// the tree is read (source.ReadRepoFile).
func loadIgnoreFile(root string) (map[string]bool, error) {
	b, err := source.ReadRepoFile(root, IgnoreFile, maxIgnoreFileSize)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("scan: %w", err)
	}
	out := map[string]bool{}
	for line := range strings.Lines(string(b)) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			out[line] = true
		}
	}
	return out, nil
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
