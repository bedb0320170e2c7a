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
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/airlock-sec/airlock/internal/analyzer"
	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/inventory/gomod"
	"github.com/airlock-sec/airlock/internal/inventory/list"
	"github.com/airlock-sec/airlock/internal/source"
	"github.com/airlock-sec/airlock/internal/vuln"
)

// Options configure a scan.
type Options struct {
	// Analyzers run over the tree; Select picks them from the registry
	// (internal/analyzer/list).
	Analyzers []analyzer.Analyzer
	// Env is what the scan offers them: vulnerability data and its age
	// limit.
	Env analyzer.Env
	// Extractors read manifests for the analyzers that need packages;
	// usually list.All().
	Extractors []inventory.Extractor
	// PolicyFile is the configuration to apply; empty means the target's
	// own .airlock.yaml if it has one.
	PolicyFile string
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
	// NoIgnore reads files that .gitignore files exclude.
	NoIgnore bool
	// Baseline holds fingerprints of findings already known: they are left
	// out, so that only new findings are reported.
	Baseline map[string]bool
	// MaxFileSize is the size in bytes past which a manifest is not read
	// (an error notice names it); 0 means DefaultMaxFileSize, negative no
	// limit.
	MaxFileSize int64
	// Notices are sent first, after the scan's Config: what was decided
	// before it (Assemble's skipped analyzers).
	Notices []Notice
}

// DefaultMaxFileSize bounds a manifest's size when Options.MaxFileSize is 0.
const DefaultMaxFileSize = 64 << 20

// Select picks the analyzers to run from all. With names (--scanners),
// exactly those, and an analyzer whose needs env does not meet is an
// error saying why. Without, every analyzer whose needs are met, and a
// notice for each one skipped, saying why.
func Select(names []string, all []analyzer.Analyzer, env *analyzer.Env) ([]analyzer.Analyzer, []Notice, error) {
	var out []analyzer.Analyzer
	var notices []Notice
	byName := map[string]analyzer.Analyzer{}
	var known []string
	for _, a := range all {
		byName[a.Name()] = a
		known = append(known, a.Name())
	}
	for _, n := range names {
		if byName[n] == nil {
			return nil, nil, fmt.Errorf("unknown scanner %q: available: %s", n, strings.Join(known, ", "))
		}
	}
	for _, a := range all {
		if len(names) > 0 && !slices.Contains(names, a.Name()) {
			continue
		}
		var missing error
		for _, n := range a.Needs() {
			if err := env.Missing(n); err != nil {
				missing = err
				break
			}
		}
		switch {
		case missing == nil:
			out = append(out, a)
		case len(names) > 0:
			return nil, nil, fmt.Errorf("scanner %s cannot run: %w", a.Name(), missing)
		default:
			notices = append(notices, Notice{Level: NoticeWarning, Message: fmt.Sprintf("%s scanning skipped: %v", describe(a.Name()), missing)})
		}
	}
	return out, notices, nil
}

// describe names an analyzer in a sentence.
func describe(name string) string {
	if name == "vuln" {
		return "dependency"
	}
	return name
}

// Run scans the tree at target and returns its Result: Stream into a
// Collector.
func Run(ctx context.Context, target string, o Options) (*Result, error) {
	var c Collector
	if err := Stream(ctx, target, o, &c); err != nil {
		return nil, err
	}
	return c.Result(), nil
}

// Stream scans the tree at target and sends the scan to h as it goes: it
// walks the tree once, loads its configuration once, extracts its
// packages once for the analyzers that need them, runs the analyzers side
// by side and applies the policy. Manifests are sent once extracted; the
// findings, which are deduplicated and sorted across analyzers, once
// every analyzer is done. An error from h stops the scan and is returned.
func Stream(ctx context.Context, target string, o Options, h Handler) error {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	started := now().UTC()
	if o.Env.VulnDB != nil {
		// The analyzers that match (vuln, risk) read each record once.
		o.Env.VulnDB = vuln.Shared(o.Env.VulnDB)
	}
	fi, err := os.Stat(target)
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	root, only := target, ""
	if !fi.IsDir() {
		root, only = filepath.Dir(target), filepath.Base(target)
	}
	tree, err := source.OpenTree(root)
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	defer tree.Close()
	repo, err := analyzer.LoadRepoConfig(tree, root, o.PolicyFile)
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	e := &emitter{h: h, cancel: cancel}
	// fail returns the handler's error, which cancelled the scan, rather
	// than what the cancellation caused.
	fail := func(err error) error {
		if herr := e.failed(); herr != nil {
			return herr
		}
		return err
	}
	names := make([]string, len(o.Analyzers))
	for i, a := range o.Analyzers {
		names[i] = a.Name()
	}
	e.send(func() error {
		return h.Config(ScanConfig{Target: target, StartedAt: started, Analyzers: names, Database: o.Env.Sources})
	})
	e.notices(o.Notices)

	extractors := o.Extractors
	// The policy's go_version applies where no flag has set one.
	if repo.Policy != nil && repo.Policy.Go != (gomod.Options{}) {
		extractors = list.WithGoDefault(extractors, repo.Policy.Go)
	}
	needPackages := false
	for _, a := range o.Analyzers {
		needPackages = needPackages || slices.Contains(a.Needs(), analyzer.NeedPackages)
	}
	if !needPackages {
		extractors = nil
	}

	paths, notices, err := walk(ctx, tree, only, o.NoIgnore, e.progress)
	if err != nil {
		return fail(err)
	}
	e.notices(notices)
	var jobs []job
	for _, rel := range paths {
		for _, x := range extractors {
			if x.FileRequired(rel) {
				jobs = append(jobs, job{path: rel, x: x})
			}
		}
	}
	inputs := make([]*analyzer.Input, len(o.Analyzers))
	wanted := len(jobs) > 0
	for i, a := range o.Analyzers {
		files := required(tree, a, paths)
		wanted = wanted || len(files) > 0
		inputs[i] = &analyzer.Input{Root: root, Tree: tree, Files: files, Repo: repo, Env: &o.Env, Progress: e.progress}
	}
	if only != "" && !wanted {
		return fail(fmt.Errorf("scan: %s is not a file any selected scanner reads", only))
	}

	maxSize := o.MaxFileSize
	if maxSize == 0 {
		maxSize = DefaultMaxFileSize
	}
	manifests := []Manifest{}
	if needPackages {
		manifests, notices = extract(ctx, tree, jobs, maxSize, e.progress)
		for _, m := range manifests {
			e.send(func() error { return h.Manifest(m) })
		}
		e.notices(notices)
	}
	if err := e.failed(); err != nil {
		return err
	}

	// The analyzers run side by side: each leaves cores idle while another
	// waits (on the database, on git).
	outs := make([]*analyzer.Output, len(o.Analyzers))
	errs := make([]error, len(o.Analyzers))
	var wg sync.WaitGroup
	for i, a := range o.Analyzers {
		in := inputs[i]
		in.Manifests, in.Now = manifests, now()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					errs[i] = fmt.Errorf("scan: analyzer %s failed: %v", a.Name(), r)
				}
			}()
			outs[i], errs[i] = a.Analyze(ctx, in)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	var findings []finding.Finding
	var licenses []PackageLicense
	for i, a := range o.Analyzers {
		if errs[i] != nil {
			return fail(fmt.Errorf("scan: %s: %w", a.Name(), errs[i]))
		}
		if outs[i] != nil {
			findings = append(findings, outs[i].Findings...)
			e.notices(outs[i].Notices)
			licenses = append(licenses, outs[i].Licenses...)
		}
	}

	if o.Env.Registries != nil {
		if st := o.Env.Registries.Stats(); st.Requests+st.CacheHits > 0 {
			e.notices([]Notice{{Level: NoticeInfo, Message: fmt.Sprintf(
				"package mirrors: %d requests (%d answered not modified), %d responses from the cache", st.Requests, st.NotModified, st.CacheHits)}})
		}
	}
	for _, x := range repo.Policy.Apply(findings, now()) {
		e.notices([]Notice{{Level: NoticeWarning, Path: x.Source, Line: x.Line, Message: x.Message()}})
	}
	findings = dedupe(findings)
	if len(o.Baseline) > 0 {
		kept := findings[:0]
		for _, f := range findings {
			if !o.Baseline[f.Fingerprint] {
				kept = append(kept, f)
			}
		}
		if n := len(findings) - len(kept); n > 0 {
			e.notices([]Notice{{Level: NoticeInfo, Message: fmt.Sprintf("%d %s in the baseline left out", n, plural(n, "finding", "findings"))}})
		}
		findings = kept
	}
	sortFindings(findings)
	finished := now().UTC()
	for i := range findings {
		if !e.send(func() error { return h.Finding(findings[i]) }) {
			break
		}
	}
	e.send(func() error {
		return h.Done(Summary{FinishedAt: finished, Findings: len(findings), Manifests: len(manifests), Notices: e.sent, Incomplete: e.incomplete, Licenses: licenses})
	})
	return e.failed()
}

// emitter delivers a scan's events to its handler one at a time (progress
// comes from many goroutines), and stops the scan at the handler's first
// error.
type emitter struct {
	h      Handler
	cancel context.CancelFunc
	mu     sync.Mutex
	err    error
	// sent and incomplete count the notices sent, and those of level
	// error among them.
	sent, incomplete int
}

// send delivers one event unless the handler has failed; it reports
// whether the handler is still accepting events.
func (e *emitter) send(event func() error) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.err != nil {
		return false
	}
	if err := event(); err != nil {
		e.err = err
		e.cancel()
		return false
	}
	return true
}

func (e *emitter) progress(p Progress) {
	e.send(func() error { return e.h.Progress(p) })
}

func (e *emitter) notices(ns []Notice) {
	for _, n := range ns {
		ok := e.send(func() error {
			if err := e.h.Notice(n); err != nil {
				return err
			}
			e.sent++
			if n.Level == NoticeError {
				e.incomplete++
			}
			return nil
		})
		if !ok {
			return
		}
	}
}

// failed is the handler's error, if it returned one.
func (e *emitter) failed() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}

// required lists the files an analyzer wants: by name, or by the start of
// their content for a ContentSniffer.
func required(tree *source.Tree, a analyzer.Analyzer, paths []string) []string {
	sn, _ := a.(analyzer.ContentSniffer)
	var out []string
	head := make([]byte, analyzer.SniffSize)
	for _, p := range paths {
		if a.FileRequired(p) {
			out = append(out, p)
			continue
		}
		if sn == nil || !sn.MaySniff(p) {
			continue
		}
		f, err := tree.Open(p)
		if err != nil {
			continue // the analyzer never sees it; the walk listed it
		}
		n, _ := io.ReadFull(f, head)
		f.Close()
		if sn.ContentRequired(p, head[:n]) {
			out = append(out, p)
		}
	}
	return out
}

type job struct {
	path string
	x    inventory.Extractor
}

// walk lists the tree's files once for every analyzer and extractor; only
// names the one file to scan when the target is a file.
func walk(ctx context.Context, tree *source.Tree, only string, noIgnore bool, progress func(Progress)) ([]string, []Notice, error) {
	if only != "" {
		return []string{only}, nil, nil
	}
	paths, errs, err := tree.Walk(ctx, source.WalkOptions{NoIgnore: noIgnore, Progress: func(n int) {
		progress(Progress{Stage: "walk", Done: n})
	}})
	if err != nil {
		return nil, nil, fmt.Errorf("scan: walk: %w", err)
	}
	progress(Progress{Stage: "walk", Done: len(paths), Total: len(paths)})
	var notices []Notice
	for _, e := range errs {
		// What cannot be read may hold manifests: the scan is
		// incomplete. A .gitignore not read only means more was read.
		level := NoticeError
		if e.Warning {
			level = NoticeWarning
		}
		notices = append(notices, Notice{Level: level, Path: e.Path, Message: "not read: " + e.Err.Error()})
	}
	return paths, notices, nil
}

// extract runs the jobs on all cores; the manifests come back in path order.
func extract(ctx context.Context, root *source.Tree, jobs []job, maxSize int64, progress func(Progress)) ([]Manifest, []Notice) {
	type out struct {
		m   Manifest
		err error
	}
	outs := make([]out, len(jobs))
	var done atomic.Int64
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < min(runtime.GOMAXPROCS(0), len(jobs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				j := jobs[i]
				pkgs, err := extractOne(ctx, root, j, maxSize)
				inventory.ResolveVia(pkgs)
				outs[i] = out{Manifest{Path: j.path, Extractor: j.x.Name(), Packages: pkgs}, err}
				progress(Progress{Stage: "extract", Done: int(done.Add(1)), Total: len(jobs)})
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
		return nil, fmt.Errorf("not read: %w", source.Bare(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("not read: %w", source.Bare(err))
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
