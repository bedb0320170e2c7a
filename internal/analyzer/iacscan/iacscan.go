// Package iacscan is the "iac" analyzer: it reads the tree's
// infrastructure-as-code files with the parsers of internal/iac/list,
// evaluates the embedded policies (and the user's own, --iac-policies) on
// every document, and reports each result as a finding at the file and
// lines the user must edit, unless an inline "airlock:ignore" marker on
// or above that line suppresses it (finding.IgnoreMarker).
package iacscan

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/airlock-sec/airlock/internal/analyzer"
	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/iac"
	"github.com/airlock-sec/airlock/internal/iac/list"
	"github.com/airlock-sec/airlock/internal/iac/policies"
	"github.com/airlock-sec/airlock/internal/source"
)

// DefaultMaxFileSize bounds the IaC files read: larger ones are an error
// notice, never read.
const DefaultMaxFileSize = 8 << 20

// Config configures the analyzer.
type Config struct {
	// Policies are the user's own policies (--iac-policies), compiled;
	// nil when there are none.
	Policies *iac.Set
	// PoliciesOnly runs only Policies (--iac-policies-only).
	PoliciesOnly bool
	// Site are the policies of an imported data bundle, run beside the
	// embedded ones (not with PoliciesOnly); nil when there are none.
	Site *iac.Set
	// MaxFileSize is the largest file read; 0 means DefaultMaxFileSize.
	MaxFileSize int64
	// Parsers are the inputs read; nil means list.All().
	Parsers []iac.Parser
}

// Analyzer finds misconfigurations.
type Analyzer struct {
	c Config
}

// New returns the analyzer.
func New(c Config) *Analyzer {
	if c.MaxFileSize <= 0 {
		c.MaxFileSize = DefaultMaxFileSize
	}
	if c.Parsers == nil {
		c.Parsers = list.All()
	}
	return &Analyzer{c: c}
}

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "iac" }

// Needs implements analyzer.Analyzer: nothing beyond the tree.
func (*Analyzer) Needs() []analyzer.Need { return nil }

// FileRequired implements analyzer.Analyzer.
func (a *Analyzer) FileRequired(p string) bool { return a.parserFor(p, nil) != nil }

// MaySniff implements analyzer.ContentSniffer.
func (a *Analyzer) MaySniff(p string) bool {
	for _, x := range a.c.Parsers {
		if s, ok := x.(iac.Sniffer); ok && s.MaySniff(p) {
			return true
		}
	}
	return false
}

// ContentRequired implements analyzer.ContentSniffer.
func (a *Analyzer) ContentRequired(p string, head []byte) bool {
	return a.parserFor(p, head) != nil
}

// parserFor returns the first parser that claims the file by its name,
// or, given the file's head, by its content.
func (a *Analyzer) parserFor(p string, head []byte) iac.Parser {
	for _, x := range a.c.Parsers {
		if x.FileRequired(p) {
			return x
		}
	}
	if head == nil {
		return nil
	}
	for _, x := range a.c.Parsers {
		if s, ok := x.(iac.Sniffer); ok && s.MaySniff(p) && s.ContentRequired(p, head) {
			return x
		}
	}
	return nil
}

// Analyze implements analyzer.Analyzer.
func (a *Analyzer) Analyze(ctx context.Context, in *analyzer.Input) (*analyzer.Output, error) {
	// The embedded policies compile while the files are read and parsed.
	builtin := make(chan error, 1)
	var embedded *iac.Set
	var compile time.Duration
	if a.c.PoliciesOnly || len(in.Files) == 0 {
		builtin <- nil
	} else {
		go func() {
			var err error
			t := time.Now()
			embedded, err = policies.Builtin()
			compile = time.Since(t)
			builtin <- err
		}()
	}
	out := &analyzer.Output{}
	files := newFiles(in.Tree, a.c.MaxFileSize)
	byParser := map[iac.Parser][]iac.File{}
	for _, p := range in.Files {
		b, err := files.read(p)
		if err != nil {
			out.Notices = append(out.Notices, analyzer.Notice{Level: analyzer.NoticeError, Path: p, Message: err.Error()})
			continue
		}
		head := b[:min(len(b), analyzer.SniffSize)]
		x := a.parserFor(p, head)
		if x == nil {
			continue
		}
		byParser[x] = append(byParser[x], iac.File{Path: p, Content: b})
	}
	var docs []*iac.Document
	var times []inputTime
	// origin is the parser each document came from, as an index into
	// times: a Helm chart's or a kustomization's manifests are
	// kubernetes documents, but their time is the chart's.
	origin := map[*iac.Document]int{}
	for _, x := range a.c.Parsers {
		fs := byParser[x]
		if len(fs) == 0 {
			continue
		}
		t := time.Now()
		ds, probs := parse(ctx, x, &iac.Input{Files: fs, ReadFile: files.read, ReadDir: files.readDir})
		times = append(times, inputTime{name: x.Name(), files: len(fs), docs: len(ds), parse: time.Since(t)})
		for _, d := range ds {
			origin[d] = len(times) - 1
		}
		docs = append(docs, ds...)
		for _, p := range probs {
			out.Notices = append(out.Notices, analyzer.Notice{Level: analyzer.NoticeLevel(p.Level), Path: p.Path, Line: p.Line, Message: p.Message})
		}
	}
	if err := <-builtin; err != nil {
		return nil, fmt.Errorf("iac: embedded policies: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var sets []*iac.Set
	if embedded != nil {
		sets = append(sets, embedded)
	}
	if a.c.Site != nil && !a.c.PoliciesOnly {
		sets = append(sets, a.c.Site)
	}
	if a.c.Policies != nil {
		sets = append(sets, a.c.Policies)
	}
	results, err := evaluate(ctx, sets, docs, in.Progress)
	if err != nil {
		return nil, err
	}
	out.Findings = findings(results, files, &out.Notices)
	out.Notices = append(out.Notices, analyzer.Notice{Level: analyzer.NoticeInfo, Message: fmt.Sprintf(
		"iac: %d files read, %d documents evaluated with %d policies", len(in.Files), len(docs), policyCount(sets))})
	if len(times) > 0 {
		out.Notices = append(out.Notices, analyzer.Notice{Level: analyzer.NoticeInfo, Message: timing(times, origin, results, compile)})
	}
	return out, nil
}

// inputTime is one input type's share of a scan.
type inputTime struct {
	name            string
	files, docs     int
	parse, evaluate time.Duration
}

// timing says where the scan's time went, per input type: the parse of
// its files (one goroutine per input type, in turn) and the evaluation
// of the documents it gave (origin) with every policy, summed over the documents (the
// documents are evaluated on all cores at once, so the sums add up to
// more than the wall time on a multi-core machine). compile is the
// embedded policies' compile, which runs beside the reading and parsing.
func timing(times []inputTime, origin map[*iac.Document]int, rs []docResults, compile time.Duration) string {
	for _, r := range rs {
		if i, ok := origin[r.doc]; ok {
			times[i].evaluate += r.took
		}
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
	parts := make([]string, 0, len(times))
	for _, t := range times {
		parts = append(parts, fmt.Sprintf("%s %d %s, %d %s, parse %s, evaluate %s", t.name,
			t.files, plural(t.files, "file", "files"), t.docs, plural(t.docs, "document", "documents"), ms(t.parse), ms(t.evaluate)))
	}
	head := "iac time: "
	if compile > 0 {
		head += "embedded policies compiled in " + ms(compile) + "; "
	}
	return head + strings.Join(parts, "; ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func policyCount(sets []*iac.Set) int {
	n := 0
	for _, s := range sets {
		n += len(s.Policies)
	}
	return n
}

// parse runs one parser; a parser that panics is an error notice for its
// files, never the end of the scan.
func parse(ctx context.Context, x iac.Parser, in *iac.Input) (docs []*iac.Document, probs []iac.Problem) {
	defer func() {
		if r := recover(); r != nil {
			docs, probs = nil, nil
			for _, f := range in.Files {
				probs = append(probs, iac.Errorf(f.Path, 0, "the %s parser failed: %v", x.Name(), r))
			}
		}
	}()
	return x.Parse(ctx, in)
}

type docResults struct {
	doc     *iac.Document
	results []iac.Result
	// took is the time the document's evaluation took.
	took time.Duration
}

// evaluate runs the sets on every document on all cores.
func evaluate(ctx context.Context, sets []*iac.Set, docs []*iac.Document, progress func(analyzer.Progress)) ([]docResults, error) {
	out := make([]docResults, len(docs))
	errs := make([]error, len(docs))
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for w := 0; w < min(runtime.GOMAXPROCS(0), len(docs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i].doc = docs[i]
				t := time.Now()
				for _, s := range sets {
					rs, err := s.Eval(ctx, docs[i])
					if err != nil {
						errs[i] = err
						break
					}
					out[i].results = append(out[i].results, rs...)
				}
				out[i].took = time.Since(t)
				mu.Lock()
				done++
				progress(analyzer.Progress{Stage: "iac", Done: done, Total: len(docs)})
				mu.Unlock()
			}
		}()
	}
	for i := range docs {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// A policy that fails on a document is the policy's fault (a user's
	// Rego with a runtime error): it stops the scan with its name.
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("iac: %w", err)
	}
	return out, nil
}

// findings turns results into findings: one per policy and place, with
// a fingerprint that survives line moves, and inline suppressions applied.
func findings(rs []docResults, files *files, notices *[]analyzer.Notice) []finding.Finding {
	type key struct{ id, path, resource, attribute string }
	occurrence := map[key]int{}
	seen := map[string]bool{}
	var out []finding.Finding
	for _, dr := range rs {
		for _, r := range dr.results {
			p := r.Policy
			n := r.Node
			where := fmt.Sprintf("%s\x00%d\x00%s\x00%s\x00%s", p.ID, n.Start, n.Path, n.Resource, r.Message)
			if seen[where] {
				continue // two paths to one place
			}
			seen[where] = true
			k := key{p.ID, n.Path, n.Resource, r.Attribute}
			occurrence[k]++
			parts := []string{string(finding.KindIaC), p.ID, n.Path, n.Resource, r.Attribute}
			if occurrence[k] > 1 {
				parts = append(parts, fmt.Sprint(occurrence[k]))
			}
			end := n.End
			if end == n.Start {
				end = 0
			}
			f := finding.Finding{
				Kind:        finding.KindIaC,
				ID:          p.ID,
				Severity:    p.Severity,
				Title:       p.Title,
				Description: description(p, r),
				Location:    finding.Location{Path: n.Path, StartLine: n.Start, EndLine: end},
				References:  p.References,
				IaC: &finding.IaC{Input: dr.doc.Input, Resource: n.Resource, Attribute: r.Attribute, Expected: r.Expected, Actual: r.Actual,
					Remediation: p.Remediation, Benchmarks: p.Benchmarks, Custom: p.Custom},
				Fingerprint: finding.Fingerprint(parts...),
			}
			if ig, bad := files.inlineIgnore(n.Path, n.Start, p.ID); ig != nil {
				f.Ignored = ig
			} else if bad != "" {
				*notices = append(*notices, analyzer.Notice{Level: analyzer.NoticeWarning, Path: n.Path, Line: n.Start, Message: bad})
			}
			out = append(out, f)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Location.Path != out[j].Location.Path {
			return out[i].Location.Path < out[j].Location.Path
		}
		return out[i].Location.StartLine < out[j].Location.StartLine
	})
	return out
}

// description is the policy's description after the result's message,
// when the message says more than the title.
func description(p *iac.Policy, r iac.Result) string {
	if r.Message == "" || r.Message == p.Title {
		return p.Description
	}
	return r.Message + ".\n\n" + p.Description
}

// files reads the tree's files once each, bounded, and keeps them for
// the inline suppressions.
type files struct {
	tree    *source.Tree
	max     int64
	mu      sync.Mutex
	content map[string][]byte
}

func newFiles(tree *source.Tree, max int64) *files {
	return &files{tree: tree, max: max, content: map[string][]byte{}}
}

func (f *files) read(p string) ([]byte, error) {
	f.mu.Lock()
	b, ok := f.content[p]
	f.mu.Unlock()
	if ok {
		return b, nil
	}
	if f.tree == nil {
		return nil, fs.ErrNotExist
	}
	fi, err := f.tree.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("not read: %w", source.Bare(err))
	}
	if fi.Size() > f.max {
		return nil, fmt.Errorf("not read: %d bytes is over the limit of %d bytes for one IaC file", fi.Size(), f.max)
	}
	b, err = f.tree.ReadFile(p, f.max)
	if err != nil {
		return nil, fmt.Errorf("not read: %w", source.Bare(err))
	}
	f.mu.Lock()
	f.content[p] = b
	f.mu.Unlock()
	return b, nil
}

func (f *files) readDir(p string) ([]string, error) {
	if f.tree == nil {
		return nil, fs.ErrNotExist
	}
	if p == "" {
		p = "."
	}
	es, err := fs.ReadDir(f.tree, p)
	if err != nil {
		return nil, source.Bare(err)
	}
	out := make([]string, 0, len(es))
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out, nil
}

// inlineIgnore looks for the marker naming id on line or the line above
// it; a marker for id without a reason is not applied, and says so.
func (f *files) inlineIgnore(p string, line int, id string) (*finding.Ignore, string) {
	f.mu.Lock()
	b := f.content[p]
	f.mu.Unlock()
	ig, msg := finding.InlineIgnore(b, line, id)
	if ig != nil {
		ig.Source = fmt.Sprintf("%s:%d", p, ig.Line)
	}
	return ig, msg
}
