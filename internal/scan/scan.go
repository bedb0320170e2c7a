package scan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/inventory/gomod"
	"github.com/airlock-sec/airlock/internal/inventory/list"
	"github.com/airlock-sec/airlock/internal/policy"
	"github.com/airlock-sec/airlock/internal/source"
	"github.com/airlock-sec/airlock/internal/vuln"
)

// Options configure a scan.
type Options struct {
	// Extractors read manifests; usually list.All().
	Extractors []inventory.Extractor
	// DB is the vulnerability data; nil makes an inventory-only scan.
	DB vuln.Source
	// Sources describe DB's data for the result and the age check.
	Sources []Source
	// MaxAge is the age past which the data is reported as stale
	// (never refused); 0 disables the check.
	MaxAge time.Duration
	// PolicyFile is the configuration to apply; empty means the target's
	// own .airlock.yaml if it has one.
	PolicyFile string
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
	// NoIgnore reads files that .gitignore files exclude.
	NoIgnore bool
	// Secrets, when set, runs secret detection over every file (and the
	// git history when asked).
	Secrets *SecretOptions
	// Baseline holds fingerprints of findings already known: they are left
	// out, so that only new findings are reported.
	Baseline map[string]bool
	// MaxFileSize is the size in bytes past which a manifest is not read
	// (an error notice names it); 0 means DefaultMaxFileSize, negative no
	// limit.
	MaxFileSize int64
}

// DefaultMaxFileSize bounds a manifest's size when Options.MaxFileSize is 0.
const DefaultMaxFileSize = 64 << 20

// Run scans the tree at target.
func Run(ctx context.Context, target string, o Options) (*Result, error) {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	res := &Result{Target: target, StartedAt: now().UTC(), Manifests: []Manifest{}, Findings: []finding.Finding{}, Database: o.Sources}
	fi, err := os.Stat(target)
	if err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	root, only := target, ""
	if !fi.IsDir() {
		root, only = filepath.Dir(target), filepath.Base(target)
	}
	tree, err := source.OpenTree(root)
	if err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	defer tree.Close()
	pol, err := loadPolicy(tree, o.PolicyFile)
	if err != nil {
		return nil, err
	}
	// The policy's go_version applies where no flag has set one.
	if pol != nil && pol.Go != (gomod.Options{}) {
		o.Extractors = list.WithGoDefault(o.Extractors, pol.Go)
	}

	jobs, files, notices, err := walk(ctx, tree, only, o.Extractors, o.NoIgnore, o.Secrets != nil)
	if err != nil {
		return nil, err
	}
	res.Notices = append(res.Notices, notices...)
	// Secret detection runs beside extraction and matching: neither needs
	// the other, and each leaves cores idle while the other waits.
	type secretResult struct {
		findings []finding.Finding
		notices  []Notice
		err      error
	}
	secretDone := make(chan secretResult, 1)
	if o.Secrets != nil {
		go func() {
			fs, ns, err := secrets(ctx, root, files, o.Secrets)
			secretDone <- secretResult{fs, ns, err}
		}()
	}
	maxSize := o.MaxFileSize
	if maxSize == 0 {
		maxSize = DefaultMaxFileSize
	}
	res.Manifests, notices = extract(ctx, tree, jobs, maxSize)
	res.Notices = append(res.Notices, notices...)

	if o.DB != nil {
		fs, notices, err := match(ctx, o.DB, res.Manifests)
		if err != nil {
			return nil, err
		}
		res.Findings = fs
		res.Notices = append(res.Notices, notices...)
		res.Notices = append(res.Notices, staleness(o.Sources, ecosystems(res.Manifests), o.MaxAge, now())...)
	}
	if o.Secrets != nil {
		sr := <-secretDone
		if sr.err != nil {
			return nil, sr.err
		}
		res.Findings = append(res.Findings, sr.findings...)
		res.Notices = append(res.Notices, sr.notices...)
	}
	for _, e := range pol.Apply(res.Findings, now()) {
		res.Notices = append(res.Notices, Notice{Level: NoticeWarning, Path: e.Source, Line: e.Line, Message: e.Message()})
	}
	res.Findings = dedupe(res.Findings)
	if len(o.Baseline) > 0 {
		kept := res.Findings[:0]
		for _, f := range res.Findings {
			if !o.Baseline[f.Fingerprint] {
				kept = append(kept, f)
			}
		}
		if n := len(res.Findings) - len(kept); n > 0 {
			res.Notices = append(res.Notices, Notice{Level: NoticeInfo, Message: fmt.Sprintf("%d %s in the baseline left out", n, plural(n, "finding", "findings"))})
		}
		res.Findings = kept
	}
	sortFindings(res.Findings)
	res.FinishedAt = now().UTC()
	return res, nil
}

// maxPolicySize bounds a repository's .airlock.yaml.
const maxPolicySize = 1 << 20

// loadPolicy reads the operator's policy file when one is named, else the
// tree's own .airlock.yaml. The tree's file is repository-supplied: only a
// regular file inside the tree is read (a link out of it, a FIFO or a
// device is refused), and only up to maxPolicySize.
func loadPolicy(tree *source.Tree, file string) (*policy.Policy, error) {
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("scan: policy: %w", err)
		}
		defer f.Close()
		return policy.Parse(file, f)
	}
	b, err := tree.ReadFile(policy.FileName, maxPolicySize)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("scan: %s: not read: %w", policy.FileName, unwrapPath(err))
	}
	return policy.Parse(policy.FileName, bytes.NewReader(b))
}

// unwrapPath drops the operation and path of a *fs.PathError, for a
// message that names the file already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

type job struct {
	path string
	x    inventory.Extractor
}

// walk lists the files extractors want, in path order, and with allFiles
// every regular file (for secret detection). only names the one file to
// scan when the target is a file.
func walk(ctx context.Context, tree *source.Tree, only string, xs []inventory.Extractor, noIgnore, allFiles bool) ([]job, []string, []Notice, error) {
	var jobs []job
	var notices []Notice
	var paths []string
	if only != "" {
		paths = []string{only}
	} else {
		var errs []*source.WalkError
		var err error
		paths, errs, err = tree.Walk(ctx, source.WalkOptions{NoIgnore: noIgnore})
		if err != nil {
			return nil, nil, nil, fmt.Errorf("scan: walk: %w", err)
		}
		for _, e := range errs {
			// What cannot be read may hold manifests: the scan is
			// incomplete. A .gitignore not read only means more was read.
			level := NoticeError
			if e.Warning {
				level = NoticeWarning
			}
			notices = append(notices, Notice{Level: level, Path: e.Path, Message: "not read: " + e.Err.Error()})
		}
	}
	for _, rel := range paths {
		for _, x := range xs {
			if x.FileRequired(rel) {
				jobs = append(jobs, job{path: rel, x: x})
			}
		}
	}
	if only != "" && len(jobs) == 0 && !allFiles {
		return nil, nil, nil, fmt.Errorf("scan: %s is not a manifest or lockfile airlock reads", only)
	}
	if !allFiles {
		paths = nil
	}
	return jobs, paths, notices, nil
}

// secrets runs secret detection over the files and, when asked, the
// history, and applies the ignore file.
func secrets(ctx context.Context, root string, files []string, o *SecretOptions) ([]finding.Finding, []Notice, error) {
	before := o.Detector.Stats().AllowedFragments
	fs, st := scanSecretFiles(ctx, root, files, o)
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	notices := []Notice{{Level: NoticeInfo, Message: fmt.Sprintf(
		"secret detection read %d files (%.1f MB); skipped %d binary, %d minified, %d over the size limit, %d unreadable, %d excluded by the rules' allowlisted paths",
		st.files, float64(st.bytes)/1e6, st.binary, st.minified, st.large, st.unreadable, o.Detector.Stats().AllowedFragments-before)}}
	for _, u := range st.firstUnreadable {
		notices = append(notices, Notice{Level: NoticeWarning, Message: "not read: " + u})
	}
	if o.History {
		hist, hs, err := scanSecretHistory(ctx, root, o)
		if err != nil {
			return nil, nil, err
		}
		fs = mergeHistory(fs, hist)
		notices = append(notices, Notice{Level: NoticeInfo, Message: fmt.Sprintf(
			"history: %d commits, %d file changes, %.1f MB of added lines; %d binary changes skipped",
			hs.Commits, hs.Files, float64(hs.AddedBytes)/1e6, hs.Binary)})
	}
	entries, err := loadIgnoreFile(root)
	if err != nil {
		return nil, nil, err
	}
	for i := range fs {
		if ignoredByFile(entries, &fs[i]) {
			fs[i].Ignored = &finding.Ignore{Reason: "listed in " + IgnoreFile, Source: IgnoreFile}
		}
	}
	return fs, notices, nil
}

// extract runs the jobs on all cores; the manifests come back in path order.
func extract(ctx context.Context, root *source.Tree, jobs []job, maxSize int64) ([]Manifest, []Notice) {
	type out struct {
		m   Manifest
		err error
	}
	outs := make([]out, len(jobs))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < min(runtime.GOMAXPROCS(0), len(jobs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				j := jobs[i]
				pkgs, err := extractOne(ctx, root, j, maxSize)
				outs[i] = out{Manifest{Path: j.path, Extractor: j.x.Name(), Packages: pkgs}, err}
			}
		}()
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	manifests := []Manifest{}
	var notices []Notice
	for _, o := range outs {
		var ps inventory.Problems
		if o.err != nil && !errors.As(o.err, &ps) {
			notices = append(notices, problemNotice(o.m.Path, o.err, NoticeError))
			continue
		}
		for _, p := range ps {
			level := NoticeError
			if p.Warning {
				level = NoticeWarning
			}
			notices = append(notices, problemNotice(o.m.Path, p, level))
		}
		if o.m.Packages == nil {
			o.m.Packages = []inventory.Package{}
		}
		manifests = append(manifests, o.m)
	}
	return manifests, notices
}

// problemNotice turns an extractor's error into a notice at the file and
// line it names (the notice carries them, so the message does not repeat
// them).
func problemNotice(file string, err error, level NoticeLevel) Notice {
	var pe *inventory.ParseError
	if errors.As(err, &pe) && pe.Path != "" {
		msg := pe.Err.Error()
		if pe.Field != "" {
			msg = fmt.Sprintf("field %q: %s", pe.Field, msg)
		}
		return Notice{Level: level, Path: pe.Path, Line: pe.Line, Message: msg}
	}
	msg := err.Error()
	// Errors that name the file already (a wrapped *fs.PathError) say it
	// once.
	msg = strings.TrimPrefix(msg, file+": ")
	return Notice{Level: level, Path: file, Message: msg}
}

func extractOne(ctx context.Context, root *source.Tree, j job, maxSize int64) (pkgs []inventory.Package, err error) {
	f, err := root.Open(j.path)
	if err != nil {
		return nil, fmt.Errorf("not read: %w", unwrapPath(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("not read: %w", unwrapPath(err))
	}
	if maxSize > 0 && fi.Size() > maxSize {
		return nil, fmt.Errorf("not read: %d bytes is over the limit of %d bytes for one manifest (raise it with --max-file-size)", fi.Size(), maxSize)
	}
	// A bug in one extractor must not take the scan down with it.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: extractor %s failed: %v", j.path, j.x.Name(), r)
		}
	}()
	return j.x.Extract(ctx, &inventory.Input{Path: j.path, Reader: ctxReader{ctx, f}, Root: root})
}

// ctxReader stops reading once the scan is cancelled, so that no read
// outlives SIGTERM.
type ctxReader struct {
	ctx context.Context
	f   fs.File
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.f.Read(p)
}

// Stat lets readers size their buffers from the file.
func (r ctxReader) Stat() (fs.FileInfo, error) { return r.f.Stat() }

// match matches every pinned package and says what could not be checked.
func match(ctx context.Context, db vuln.Source, ms []Manifest) ([]finding.Finding, []Notice, error) {
	m := vuln.NewMatcher(db)
	var all []inventory.Package
	for _, man := range ms {
		all = append(all, man.Packages...)
	}
	if err := m.Prefetch(ctx, all, runtime.GOMAXPROCS(0)); err != nil {
		return nil, nil, fmt.Errorf("scan: %w", err)
	}
	var out []finding.Finding
	var notices []Notice
	unchecked := map[string]int{}
	for _, man := range ms {
		var unpinned []string
		for _, p := range man.Packages {
			if !p.Pinned() {
				unpinned = append(unpinned, p.Name)
				continue
			}
			fs, err := m.Match(ctx, p)
			if err != nil {
				return nil, nil, fmt.Errorf("scan: %s: %w", man.Path, err)
			}
			out = append(out, fs...)
		}
		if len(unpinned) > 0 {
			notices = append(notices, Notice{Level: NoticeWarning, Path: man.Path, Message: fmt.Sprintf(
				"%d %s not pinned to one version and not checked: %s (pin exact versions or scan a lockfile)",
				len(unpinned), plural(len(unpinned), "dependency is", "dependencies are"), joinSome(unpinned, 8))})
		}
	}
	for _, man := range ms {
		for _, p := range man.Packages {
			if p.Pinned() {
				unchecked[p.Ecosystem]++
			}
		}
	}
	ecos := make([]string, 0, len(unchecked))
	for eco := range unchecked {
		ecos = append(ecos, eco)
	}
	sort.Strings(ecos)
	for _, eco := range ecos {
		names, err := db.Names(ctx, eco)
		if err != nil {
			return nil, nil, fmt.Errorf("scan: %w", err)
		}
		if len(names) == 0 {
			notices = append(notices, Notice{Level: NoticeWarning, Message: fmt.Sprintf(
				"no vulnerability data for %s is imported: %d %s not checked (import the %s all.zip with 'airlock db import')",
				eco, unchecked[eco], plural(unchecked[eco], "package was", "packages were"), eco)})
		}
	}
	return out, notices, nil
}

// ecosystems lists the ecosystems of the manifests' packages.
func ecosystems(ms []Manifest) map[string]bool {
	out := map[string]bool{}
	for _, m := range ms {
		for _, p := range m.Packages {
			out[p.Ecosystem] = true
		}
	}
	return out
}

// staleness warns when imported data that the scan used is older than
// maxAge (data of several ecosystems counts for all of them).
func staleness(sources []Source, used map[string]bool, maxAge time.Duration, now time.Time) []Notice {
	var out []Notice
	for _, s := range sources {
		if maxAge <= 0 || s.NewestModified.IsZero() || !used[s.Ecosystem] && s.Ecosystem != "mixed" {
			continue
		}
		if age := now.Sub(s.NewestModified); age > maxAge {
			out = append(out, Notice{Level: NoticeWarning, Message: fmt.Sprintf(
				"the %s vulnerability data is %s old (newest record %s, imported from %s): import a newer all.zip when you can",
				s.Ecosystem, Age(age), s.NewestModified.Format(time.DateOnly), path.Base(filepath.ToSlash(s.Path)))})
		}
	}
	return out
}

// Age renders a duration in days (or hours under two days).
func Age(d time.Duration) string {
	if d < 48*time.Hour {
		return fmt.Sprintf("%d hours", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

// dedupe drops repeated findings: a requirements file included with -r
// by another is also read on its own, and both report its packages at the
// same place.
func dedupe(fs []finding.Finding) []finding.Finding {
	type key struct {
		fp, version string
		line        int
	}
	seen := map[key]bool{}
	out := fs[:0]
	for _, f := range fs {
		k := key{fp: f.Fingerprint, line: f.Location.StartLine}
		if f.Package != nil {
			k.version = f.Package.Version
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, f)
	}
	return out
}

func sortFindings(fs []finding.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := &fs[i], &fs[j]
		if ra, rb := a.Severity.Rank(), b.Severity.Rank(); ra != rb {
			return ra > rb
		}
		if a.Location.Path != b.Location.Path {
			return a.Location.Path < b.Location.Path
		}
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		if a.Package != nil && b.Package != nil && a.Package.Name != b.Package.Name {
			return a.Package.Name < b.Package.Name
		}
		return a.Location.StartLine < b.Location.StartLine
	})
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func joinSome(names []string, max int) string {
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:max], ", ") + fmt.Sprintf(" and %d more", len(names)-max)
}
