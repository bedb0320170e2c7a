// Package secret finds credentials in files and git history: a keyword
// prefilter selects rules, their regexes find candidates, and entropy,
// allowlists, inline markers and a built-in false-positive control decide
// which are reported. Rules are data in gitleaks' TOML format, so users'
// existing .gitleaks.toml files work unchanged. Secrets never leave a Match
// unredacted except through its Secret field, which stays in memory.
package secret

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	re2 "github.com/wasilibs/go-re2"

	"github.com/airlock-sec/airlock/internal/finding"
)

// Fragment is one piece of content to scan: a file, or the added lines of a
// file in one commit.
type Fragment struct {
	// Path is slash-separated, relative to the scan root.
	Path string
	// Content is the text; Detect neither keeps nor changes it.
	Content []byte
	// StartLine is the line number of Content's first line: 1 for a file, a
	// diff hunk's first added line otherwise. 0 means 1.
	StartLine int
	// Commit, Author, Email and Date describe the commit of a history fragment.
	Commit, Author, Email string
	Date                  time.Time
}

// Match is one detected secret.
type Match struct {
	RuleID, Description string
	Severity            finding.Severity
	Path                string
	// StartLine and EndLine are the lines of the secret's first and last
	// bytes; StartColumn and EndColumn are 1-based byte columns of those
	// bytes. All are 0 for a rule that matches a file by its path alone.
	StartLine, EndLine, StartColumn, EndColumn int
	// Secret is the raw secret: in memory only, never printed, never logged.
	Secret string
	// Redacted is Redact(Secret).
	Redacted string
	// Line is the secret's line (lines, when it spans several) with every
	// secret found in the fragment replaced by its redacted form, cut to at
	// most 200 bytes around the secret.
	Line string
	// Entropy is the secret's Shannon entropy in bits per character.
	Entropy               float64
	Commit, Author, Email string
	Date                  time.Time
	// Occurrence numbers the matches of the same rule and secret in one
	// fragment, in the order they appear, from 1.
	Occurrence int
	// Fingerprint is Fingerprint(RuleID, Path, Secret, Occurrence): stable
	// across line moves, and distinct for each occurrence of one secret in
	// a file.
	Fingerprint string
}

// Finding converts the match to the common finding model.
func (m Match) Finding() finding.Finding {
	end := m.EndLine
	if end == m.StartLine {
		end = 0
	}
	return finding.Finding{
		Kind:     finding.KindSecret,
		ID:       m.RuleID,
		Severity: m.Severity,
		Title:    m.Description,
		Evidence: m.Line,
		Location: finding.Location{
			Path:        m.Path,
			StartLine:   m.StartLine,
			EndLine:     end,
			StartColumn: m.StartColumn,
			EndColumn:   m.EndColumn,
			Commit:      m.Commit,
		},
		Fingerprint: m.Fingerprint,
	}
}

// Redact keeps at most the first 4 characters of a secret, and no more than
// a quarter of them, followed by "****". Secrets shorter than 8 characters
// become "****".
func Redact(secret string) string {
	n := utf8.RuneCountInString(secret)
	k := min(4, n/4)
	if n < 8 {
		k = 0
	}
	i := 0
	for range k {
		_, size := utf8.DecodeRuneInString(secret[i:])
		i += size
	}
	return strings.ToValidUTF8(secret[:i], "\uFFFD") + "****"
}

// IsBinary reports content with a NUL byte in its first 8 KiB, which Detect
// skips (rules matching on the path alone still apply).
func IsBinary(content []byte) bool {
	return bytes.IndexByte(content[:min(len(content), binarySniffLen)], 0) >= 0
}

const binarySniffLen = 8 << 10

// Line context limits.
const (
	// maxLineContext bounds the bytes of a line, on each side of a match,
	// that allowlist "line" regexes and inline markers see, so a huge
	// single-line file stays linear.
	maxLineContext = 2048
	// maxEvidence is the length of Match.Line.
	maxEvidence = 200
	// evidenceBefore is how much of Match.Line precedes the secret when the
	// line must be cut.
	evidenceBefore = 80
	// maxSearchedSecrets bounds how many secrets of a fragment are searched
	// for in every evidence line; past it only those near the match are.
	maxSearchedSecrets = 64
	// beforeContext is how much text before a secret the built-in control
	// looks at.
	beforeContext = 24
)

// Inline markers that allow a line.
var inlineAllow = [][]byte{[]byte("gitleaks:allow"), []byte("airlock:allow")}

// Detector runs a compiled rule set. It is safe for concurrent use.
type Detector struct {
	rules    []*compiledRule
	keywords *keywordMatcher
	kwRules  [][]int32 // keyword id -> rule indexes
	always   []int32   // rules with a regex and no keywords
	// kwLocal maps a keyword id to the line-local rules it anchors
	// (window.go); keywords past len(kwRules) are anchors only. traps are
	// the ids of foldTraps in keywords.
	kwLocal [][]int32
	traps   []int32
	// whole runs every regex over the whole fragment, line-local or not:
	// the reference the windowed scan is tested against.
	whole    bool
	pathOnly []int32 // rules with a path and no regex
	// wide are global allowlists for every rule, checked once per fragment.
	wide       []*compiledAllowlist
	allowlists int // number of compiled allowlists
	pool       sync.Pool
	stats      counters
}

type compiledRule struct {
	id, description string
	severity        finding.Severity
	// pattern is the regex, compiled into re on first use: most rules'
	// keywords never occur in a small tree, and compiling every RE2
	// program up front cost ~27 ms a scan.
	pattern     string
	once        sync.Once
	re          *re2.Regexp
	path        *regexp.Regexp
	secretGroup int
	entropy     float64
	builtin     bool
	generic     bool
	// anchors, when set, make the rule line-local: every match lies in
	// one line and holds one of them, so the regex runs only on the lines
	// where they occur.
	anchors []string
	allow   []*compiledAllowlist
}

// regex compiles the rule's pattern on first use. The pattern was checked
// with the standard library's parser, which accepts the same syntax as RE2,
// so compiling does not fail; if RE2 refused it all the same, the rule
// would match nothing rather than stop the scan.
func (r *compiledRule) regex() *re2.Regexp {
	r.once.Do(func() {
		re, err := re2.Compile(r.pattern)
		if err != nil {
			re = re2.MustCompile(`[^\x00-\x{10FFFF}]`)
		}
		r.re = re
	})
	return r.re
}

type regexTarget uint8

const (
	targetSecret regexTarget = iota
	targetMatch
	targetLine
)

type compiledAllowlist struct {
	idx       int
	and       bool
	commits   []string
	paths     *regexp.Regexp // alternation of all paths
	regexes   *regexp.Regexp // alternation of all regexes
	target    regexTarget
	stopwords []string // lower case
}

// NewDetector compiles a rule set. Errors name the rule.
func NewDetector(cfg *Config) (*Detector, error) {
	d := &Detector{}
	// The last definition of an id wins, as in gitleaks.
	last := map[string]int{}
	for i, r := range cfg.Rules {
		last[r.ID] = i
	}
	var globals []*compiledAllowlist
	var globalTargets [][]string
	for i, a := range cfg.Allowlists {
		ca, err := d.compileAllowlist(a)
		if err != nil {
			return nil, fmt.Errorf("secret: global allowlist %d: %w", i, err)
		}
		globals = append(globals, ca)
		globalTargets = append(globalTargets, a.TargetRules)
		if len(a.TargetRules) == 0 {
			d.wide = append(d.wide, ca)
		}
	}
	kwIndex := map[string]int{}
	var keywords []string
	for i, r := range cfg.Rules {
		if last[r.ID] != i {
			continue
		}
		cr, err := d.compileRule(r)
		if err != nil {
			return nil, err
		}
		for g, ca := range globals {
			if len(globalTargets[g]) == 0 || slices.Contains(globalTargets[g], r.ID) {
				cr.allow = append(cr.allow, ca)
			}
		}
		idx := int32(len(d.rules))
		d.rules = append(d.rules, cr)
		switch {
		case cr.pattern == "":
			d.pathOnly = append(d.pathOnly, idx)
		case len(r.Keywords) == 0:
			d.always = append(d.always, idx)
		default:
			// Rules without keywords run on every fragment, whole.
			cr.anchors = lineAnchors(cr.pattern)
			for _, kw := range r.Keywords {
				kw = lowerASCIIString(kw)
				k, ok := kwIndex[kw]
				if !ok {
					k = len(keywords)
					kwIndex[kw] = k
					keywords = append(keywords, kw)
					d.kwRules = append(d.kwRules, nil)
				}
				if !slices.Contains(d.kwRules[k], idx) {
					d.kwRules[k] = append(d.kwRules[k], idx)
				}
			}
		}
	}
	var located []int32
	for ri, r := range d.rules {
		for _, a := range r.anchors {
			k, ok := kwIndex[a]
			if !ok {
				k = len(keywords)
				kwIndex[a] = k
				keywords = append(keywords, a)
			}
			for len(d.kwLocal) <= k {
				d.kwLocal = append(d.kwLocal, nil)
			}
			if len(d.kwLocal[k]) == 0 {
				located = append(located, int32(k))
			}
			d.kwLocal[k] = append(d.kwLocal[k], int32(ri))
		}
	}
	for len(d.kwLocal) < len(keywords) {
		d.kwLocal = append(d.kwLocal, nil)
	}
	if len(located) > 0 {
		for _, t := range foldTraps {
			d.traps = append(d.traps, int32(len(keywords)))
			keywords = append(keywords, t)
		}
	}
	d.keywords = newKeywordMatcher(keywords)
	d.keywords.locate(located)
	d.stats.ruleRuns = make([]atomic.Int64, len(d.rules))
	d.stats.ruleMatches = make([]atomic.Int64, len(d.rules))
	d.pool.New = func() any { return d.newScratch() }
	return d, nil
}

func (d *Detector) compileRule(r Rule) (*compiledRule, error) {
	cr := &compiledRule{
		id:          r.ID,
		description: r.Description,
		severity:    finding.High,
		secretGroup: r.SecretGroup,
		entropy:     r.Entropy,
		builtin:     !slices.Contains(r.Tags, TagNoBuiltinAllowlist),
		generic:     slices.Contains(r.Tags, TagGeneric),
	}
	if r.ID == "" {
		return nil, fmt.Errorf("secret: a rule has no id")
	}
	if r.Severity != "" {
		s, ok := parseRuleSeverity(r.Severity)
		if !ok {
			return nil, fmt.Errorf("secret: rule %q: severity %q is not one of critical, high, medium, low, info", r.ID, r.Severity)
		}
		cr.severity = s
	}
	if r.Regex == "" && r.Path == "" {
		return nil, fmt.Errorf("secret: rule %q: needs a regex, a path or both", r.ID)
	}
	if r.Regex != "" {
		// The standard library's parser accepts the same syntax as RE2 and
		// explains refusals better; RE2 then compiles silently.
		syn, err := checkRegex(r.Regex)
		if err != nil {
			return nil, fmt.Errorf("secret: rule %q: regex: %w", r.ID, err)
		}
		if groups := syn.MaxCap(); r.SecretGroup < 0 || r.SecretGroup > groups {
			return nil, fmt.Errorf("secret: rule %q: secretGroup %d: the regex has %d groups", r.ID, r.SecretGroup, groups)
		}
		cr.pattern = r.Regex
	}
	if r.Path != "" {
		re, err := regexp.Compile(r.Path)
		if err != nil {
			return nil, fmt.Errorf("secret: rule %q: path: %w", r.ID, err)
		}
		cr.path = re
	}
	for i, a := range r.Allowlists {
		ca, err := d.compileAllowlist(a)
		if err != nil {
			return nil, fmt.Errorf("secret: rule %q: allowlist %d: %w", r.ID, i, err)
		}
		cr.allow = append(cr.allow, ca)
	}
	return cr, nil
}

func (d *Detector) compileAllowlist(a Allowlist) (*compiledAllowlist, error) {
	ca := &compiledAllowlist{idx: d.allowlists, commits: a.Commits}
	d.allowlists++
	switch strings.ToUpper(a.Condition) {
	case "", "OR":
	case "AND":
		ca.and = true
	default:
		return nil, fmt.Errorf("condition %q is not OR or AND", a.Condition)
	}
	switch strings.ToLower(a.RegexTarget) {
	case "", "secret":
	case "match":
		ca.target = targetMatch
	case "line":
		ca.target = targetLine
	default:
		return nil, fmt.Errorf("regexTarget %q is not secret, match or line", a.RegexTarget)
	}
	var err error
	if ca.paths, err = alternation(a.Paths); err != nil {
		return nil, fmt.Errorf("paths: %w", err)
	}
	if ca.regexes, err = alternation(a.Regexes); err != nil {
		return nil, fmt.Errorf("regexes: %w", err)
	}
	for _, w := range a.StopWords {
		if w != "" {
			ca.stopwords = append(ca.stopwords, strings.ToLower(w))
		}
	}
	if len(ca.commits) == 0 && ca.paths == nil && ca.regexes == nil && len(ca.stopwords) == 0 {
		return nil, fmt.Errorf("no commits, paths, regexes or stopwords")
	}
	return ca, nil
}

// alternation compiles patterns into one regex that matches when any does;
// each keeps its own flags inside its group. Allowlists run on short strings
// (a path, a secret, a line), where the standard library's engine is fast.
func alternation(patterns []string) (*regexp.Regexp, error) {
	if len(patterns) == 0 {
		return nil, nil
	}
	parts := make([]string, len(patterns))
	for i, p := range patterns {
		if _, err := checkRegex(p); err != nil {
			return nil, fmt.Errorf("%q: %w", p, err)
		}
		parts[i] = "(?:" + p + ")"
	}
	return regexp.Compile(strings.Join(parts, "|"))
}

// scratch is per-call working memory, pooled.
type scratch struct {
	kwHit      []bool
	ruleHit    []bool
	allowState []int8 // per allowlist: 0 unknown, 1 fragment-wide allowed, 2 not
	lineStarts []int
	lines      bool // lineStarts computed for the current fragment
	found      []candidate
	occ        []occurrence // keyword occurrences of line-local rules
	ruleAt     [][]int      // per rule: offsets of its keywords
	spans      [][2]int
}

type candidate struct {
	rule       *compiledRule
	start, end int // secret
	entropy    float64
	// longest is, on found[0] only, the length of the fragment's longest
	// secret, which bounds searches by start.
	longest int
}

func (d *Detector) newScratch() *scratch {
	return &scratch{
		kwHit:      make([]bool, d.keywords.n),
		ruleHit:    make([]bool, len(d.rules)),
		ruleAt:     make([][]int, len(d.rules)),
		allowState: make([]int8, d.allowlists),
	}
}

func (sc *scratch) reset() {
	clear(sc.kwHit)
	clear(sc.ruleHit)
	clear(sc.allowState)
	sc.lineStarts = sc.lineStarts[:0]
	sc.lines = false
	sc.found = sc.found[:0]
	sc.occ = sc.occ[:0]
	for i := range sc.ruleAt {
		sc.ruleAt[i] = sc.ruleAt[i][:0]
	}
}

// Detect scans one fragment. It never keeps f.Content.
//
// The base64 values of a Kubernetes Secret's data in a YAML file are
// decoded and scanned as "KEY: VALUE"; their matches are reported at the
// encoded value's line and columns, and generic rules' matches on the
// encoded text itself are dropped.
func (d *Detector) Detect(f Fragment) []Match {
	return d.detect(f, false)
}

// detect scans a fragment; decoded marks the text of a decoded value, in
// which path rules and Kubernetes Secrets are not looked for again.
func (d *Detector) detect(f Fragment, decoded bool) []Match {
	sc := d.pool.Get().(*scratch)
	sc.reset()
	defer d.pool.Put(sc)
	d.stats.fragments.Add(1)
	d.stats.bytes.Add(int64(len(f.Content)))

	for _, a := range d.wide {
		if a.fragmentWide(sc, &f) {
			d.stats.allowedFragments.Add(1)
			return nil
		}
	}
	var out []Match
	for _, ri := range d.pathOnly {
		r := d.rules[ri]
		if !decoded && r.path.MatchString(f.Path) && !r.allowedFragment(sc, &f) {
			out = append(out, d.pathMatch(r, &f))
		}
	}
	if IsBinary(f.Content) {
		d.stats.binary.Add(1)
		return out
	}

	if d.keywords.scan(f.Content, sc.kwHit, &sc.occ) > 0 {
		for k, hit := range sc.kwHit {
			if hit && k < len(d.kwRules) {
				for _, ri := range d.kwRules[k] {
					sc.ruleHit[ri] = true
				}
			}
		}
	}
	windowed := !d.whole && len(sc.occ) > 0
	for _, t := range d.traps {
		if sc.kwHit[t] {
			windowed = false
		}
	}
	if windowed {
		for _, o := range sc.occ {
			for _, ri := range d.kwLocal[o.id] {
				sc.ruleAt[ri] = append(sc.ruleAt[ri], o.at)
			}
		}
	}
	for _, ri := range d.always {
		sc.ruleHit[ri] = true
	}
	var runs, dropped, regexBytes int64
	for ri, hit := range sc.ruleHit {
		if !hit {
			continue
		}
		r := d.rules[ri]
		if r.path != nil && !r.path.MatchString(f.Path) {
			continue
		}
		if r.allowedFragment(sc, &f) {
			continue
		}
		runs++
		d.stats.ruleRuns[ri].Add(1)
		sc.spans = append(sc.spans[:0], [2]int{0, len(f.Content)})
		if windowed && len(r.anchors) > 0 {
			slices.Sort(sc.ruleAt[ri])
			sc.spans = windows(sc.spans[:0], f.Content, sc.ruleAt[ri])
		}
		kept := 0
		for _, sp := range sc.spans {
			regexBytes += int64(sp[1] - sp[0])
			for _, loc := range r.regex().FindAllSubmatchIndex(f.Content[sp[0]:sp[1]], -1) {
				if sp[0] > 0 {
					for i, o := range loc {
						if o >= 0 {
							loc[i] = o + sp[0]
						}
					}
				}
				if d.keep(sc, r, &f, loc) {
					kept++
				} else {
					dropped++
				}
			}
		}
		if kept > 0 {
			d.stats.ruleMatches[ri].Add(int64(kept))
		}
	}
	d.stats.regexRuns.Add(runs)
	d.stats.regexBytes.Add(regexBytes)
	d.stats.dropped.Add(dropped)
	var kube []kubeValue
	if !decoded {
		kube = kubeSecretValues(f.Path, f.Content)
		if len(kube) > 0 {
			sc.found = dropEncoded(sc.found, kube)
		}
	}
	if len(sc.found) > 0 {
		d.stats.matches.Add(int64(len(sc.found)))
		out = append(out, d.matches(sc, &f)...)
	}
	if len(kube) > 0 {
		sc.ensureLines(f.Content)
		for _, kv := range kube {
			out = append(out, d.detectDecoded(sc, &f, kv)...)
		}
		sort.SliceStable(out, func(i, j int) bool {
			if out[i].StartLine != out[j].StartLine {
				return out[i].StartLine < out[j].StartLine
			}
			return out[i].StartColumn < out[j].StartColumn
		})
	}
	numberOccurrences(out)
	return out
}

// keep runs the checks after a regex match and records the candidate.
func (d *Detector) keep(sc *scratch, r *compiledRule, f *Fragment, loc []int) bool {
	s, e := loc[0], loc[1]
	if g := r.secretGroup; g > 0 {
		s, e = loc[2*g], loc[2*g+1]
	} else {
		for g := 1; 2*g+1 < len(loc); g++ {
			if loc[2*g] >= 0 && loc[2*g+1] > loc[2*g] {
				s, e = loc[2*g], loc[2*g+1]
				break
			}
		}
	}
	if s < 0 || e <= s {
		return false
	}
	content := f.Content
	secret := content[s:e]
	ent := shannon(secret)
	if r.entropy > 0 && ent <= r.entropy {
		return false
	}
	sc.ensureLines(content)
	ls, le := sc.lineBounds(content, s, e)
	line := content[max(ls, s-maxLineContext):min(le, e+maxLineContext)]
	for _, a := range r.allow {
		if a.allows(sc, f, secret, content[loc[0]:loc[1]], line) {
			return false
		}
	}
	for _, marker := range inlineAllow {
		if bytes.Contains(line, marker) {
			return false
		}
	}
	if r.builtin {
		before := content[max(ls, s-beforeContext):s]
		if builtinFalsePositive(secret, before, line, f.Path) != "" {
			return false
		}
	}
	sc.found = append(sc.found, candidate{rule: r, start: s, end: e, entropy: ent})
	return true
}

// fragmentWide reports whether the allowlist allows everything in the
// fragment by its commit or path alone. The answer is cached per fragment.
func (a *compiledAllowlist) fragmentWide(sc *scratch, f *Fragment) bool {
	switch sc.allowState[a.idx] {
	case 1:
		return true
	case 2:
		return false
	}
	commit := len(a.commits) > 0 && f.Commit != "" && slices.Contains(a.commits, f.Commit)
	path := a.paths != nil && a.paths.MatchString(f.Path)
	var wide bool
	if a.and {
		// Every configured criterion must hold; only commits and paths can
		// be known before a secret is.
		wide = a.regexes == nil && len(a.stopwords) == 0 &&
			(len(a.commits) == 0 || commit) && (a.paths == nil || path)
	} else {
		wide = commit || path
	}
	if wide {
		sc.allowState[a.idx] = 1
	} else {
		sc.allowState[a.idx] = 2
	}
	return wide
}

func (r *compiledRule) allowedFragment(sc *scratch, f *Fragment) bool {
	for _, a := range r.allow {
		if a.fragmentWide(sc, f) {
			return true
		}
	}
	return false
}

// allows reports whether the allowlist allows one candidate.
func (a *compiledAllowlist) allows(sc *scratch, f *Fragment, secret, match, line []byte) bool {
	if a.fragmentWide(sc, f) {
		return true
	}
	regexOK := func() bool {
		switch a.target {
		case targetMatch:
			return a.regexes.Match(match)
		case targetLine:
			return a.regexes.Match(line)
		}
		return a.regexes.Match(secret)
	}
	stopOK := func() bool {
		lower := bytes.ToLower(secret)
		for _, w := range a.stopwords {
			if bytes.Contains(lower, []byte(w)) {
				return true
			}
		}
		return false
	}
	if !a.and {
		return (a.regexes != nil && regexOK()) || (len(a.stopwords) > 0 && stopOK())
	}
	if len(a.commits) > 0 && (f.Commit == "" || !slices.Contains(a.commits, f.Commit)) {
		return false
	}
	if a.paths != nil && !a.paths.MatchString(f.Path) {
		return false
	}
	if a.regexes != nil && !regexOK() {
		return false
	}
	if len(a.stopwords) > 0 && !stopOK() {
		return false
	}
	return true
}

// ensureLines indexes line starts once per fragment, only when a candidate
// needs them.
func (sc *scratch) ensureLines(content []byte) {
	if sc.lines {
		return
	}
	sc.lines = true
	sc.lineStarts = append(sc.lineStarts[:0], 0)
	for i := 0; ; {
		j := bytes.IndexByte(content[i:], '\n')
		if j < 0 {
			break
		}
		i += j + 1
		sc.lineStarts = append(sc.lineStarts, i)
	}
}

// lineOf returns the 0-based index of the line holding offset o.
func (sc *scratch) lineOf(o int) int {
	return sort.SearchInts(sc.lineStarts, o+1) - 1
}

// lineBounds returns the start of the line of s and the end (before the
// newline) of the line of e-1.
func (sc *scratch) lineBounds(content []byte, s, e int) (int, int) {
	ls := sc.lineStarts[sc.lineOf(s)]
	last := sc.lineOf(e - 1)
	le := len(content)
	if last+1 < len(sc.lineStarts) {
		le = sc.lineStarts[last+1] - 1
	}
	if le > ls && le > e && content[le-1] == '\r' {
		le--
	}
	return ls, le
}

func (d *Detector) pathMatch(r *compiledRule, f *Fragment) Match {
	return Match{
		RuleID:      r.id,
		Description: r.description,
		Severity:    r.severity,
		Path:        f.Path,
		Redacted:    Redact(""),
		Commit:      f.Commit,
		Author:      f.Author,
		Email:       f.Email,
		Date:        f.Date,
		Occurrence:  1,
		Fingerprint: Fingerprint(r.id, f.Path, "", 1),
	}
}

// Fingerprint identifies a secret finding across scans: the rule, the path,
// a hash of the secret and, from the second occurrence of the same secret
// under the same rule in one file on, the occurrence's number. Lines play
// no part, so moving the secret keeps its fingerprint; two occurrences are
// two findings, and since they are the same text, which one is "first"
// does not matter: the set of fingerprints of a file stays the same
// however its occurrences move. The first occurrence's fingerprint is the
// one a single occurrence always had, so baselines and dismissals stay
// valid.
func Fingerprint(ruleID, path, secret string, occurrence int) string {
	return FingerprintDigest(ruleID, path, Digest(secret), occurrence)
}

// Digest is the hex SHA-256 of a secret, what its fingerprint holds.
func Digest(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// FingerprintDigest is Fingerprint from the secret's Digest, for callers
// that must not keep the secret: the fingerprint of the same secret under
// another path (a file moved in git history).
func FingerprintDigest(ruleID, path, digest string, occurrence int) string {
	if occurrence <= 1 {
		return finding.Fingerprint(string(finding.KindSecret), ruleID, path, digest)
	}
	return finding.Fingerprint(string(finding.KindSecret), ruleID, path, digest, strconv.Itoa(occurrence))
}

// numberOccurrences sets Occurrence and Fingerprint of the fragment's
// matches, which come in the order of their positions.
func numberOccurrences(ms []Match) {
	if len(ms) < 2 {
		return
	}
	type key struct{ rule, secret string }
	seen := make(map[key]int, len(ms))
	for i := range ms {
		m := &ms[i]
		k := key{m.RuleID, m.Secret}
		seen[k]++
		m.Occurrence = seen[k]
		if m.Occurrence > 1 {
			m.Fingerprint = Fingerprint(m.RuleID, m.Path, m.Secret, m.Occurrence)
		}
	}
}

// matches turns the fragment's candidates into matches, building each
// evidence line with every secret of the fragment redacted.
func (d *Detector) matches(sc *scratch, f *Fragment) []Match {
	content := f.Content
	first := f.StartLine
	if first <= 0 {
		first = 1
	}
	found := yieldGeneric(sc.found)
	sort.SliceStable(found, func(i, j int) bool { return found[i].start < found[j].start })
	longest := 0
	for _, c := range found {
		longest = max(longest, c.end-c.start)
	}
	found[0].longest = longest
	out := make([]Match, 0, len(found))
	for i, c := range found {
		secret := string(content[c.start:c.end])
		sl, el := sc.lineOf(c.start), sc.lineOf(c.end-1)
		out = append(out, Match{
			RuleID:      c.rule.id,
			Description: c.rule.description,
			Severity:    c.rule.severity,
			Path:        f.Path,
			StartLine:   first + sl,
			EndLine:     first + el,
			StartColumn: c.start - sc.lineStarts[sl] + 1,
			EndColumn:   c.end - 1 - sc.lineStarts[el] + 1,
			Secret:      secret,
			Redacted:    Redact(secret),
			Line:        evidence(sc, content, found, i),
			Entropy:     c.entropy,
			Commit:      f.Commit,
			Author:      f.Author,
			Email:       f.Email,
			Date:        f.Date,
			Occurrence:  1,
			Fingerprint: Fingerprint(c.rule.id, f.Path, secret, 1),
		})
	}
	return out
}

// yieldGeneric drops the candidates of generic rules whose secret overlaps
// a candidate of a specific rule.
func yieldGeneric(found []candidate) []candidate {
	var specific []candidate
	for _, c := range found {
		if !c.rule.generic {
			specific = append(specific, c)
		}
	}
	if len(specific) == 0 || len(specific) == len(found) {
		return found
	}
	out := found[:0]
	for _, c := range found {
		if c.rule.generic && slices.ContainsFunc(specific, func(s candidate) bool { return c.start < s.end && s.start < c.end }) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// evidence builds Match.Line for found[i]: its line(s), every secret of the
// fragment on them replaced by its redacted form, cut to maxEvidence bytes
// with the secret in view. found is sorted by start.
func evidence(sc *scratch, content []byte, found []candidate, i int) string {
	c := found[i]
	ls, le := sc.lineBounds(content, c.start, c.end)
	// Overlapping secrets (two rules on one token) are hidden as one span.
	s, e := c.start, c.end
	for grown := true; grown; {
		grown = false
		for _, o := range overlapping(found, s, e) {
			if o.start < s || o.end > e {
				s, e = min(s, o.start), max(e, o.end)
				grown = true
			}
		}
	}
	ls, le = min(ls, s), max(le, e)
	// A generous window, widened to whole secrets, so nothing cut at its
	// edges can reach the output.
	ws, we := max(ls, s-maxEvidence), min(le, e+maxEvidence)
	for _, o := range overlapping(found, ws, we) {
		ws, we = min(ws, o.start), max(we, o.end)
	}
	var spans [][2]int
	var secrets []string
	for _, o := range overlapping(found, ws, we) {
		spans = append(spans, [2]int{o.start, o.end})
		secrets = append(secrets, string(content[o.start:o.end]))
	}
	if len(found) <= maxSearchedSecrets {
		// The same tokens found elsewhere in the fragment.
		for _, o := range found {
			secrets = append(secrets, string(content[o.start:o.end]))
		}
	}
	// Known spans are redacted where they are; other occurrences of the same
	// secrets (one token quoted twice) by search.
	slices.SortFunc(secrets, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	secrets = slices.Compact(secrets)
	pairs := make([]string, 0, 2*len(secrets))
	for _, x := range secrets {
		pairs = append(pairs, x, Redact(x))
	}
	rep := strings.NewReplacer(pairs...)
	before := strings.ToValidUTF8(redactRange(content, ws, s, spans, rep), "\uFFFD")
	after := strings.ToValidUTF8(redactRange(content, e, we, spans, rep), "\uFFFD")
	mid := Redact(string(content[c.start:c.end]))
	if room := maxEvidence - len(mid); len(before)+len(after) > room {
		keepBefore := min(len(before), max(evidenceBefore, room-len(after)))
		before = cutFront(before, keepBefore)
		after = cutBack(after, max(0, room-len(before)))
	}
	line := before + mid + after
	for _, x := range secrets {
		if strings.Contains(line, x) {
			// Redacted forms next to raw text can spell a secret again in
			// contrived input; then the secret alone is the evidence.
			return mid
		}
	}
	return line
}

// overlapping returns the candidates of found (sorted by start) whose
// secrets overlap [s, e), in a time that does not grow with len(found).
func overlapping(found []candidate, s, e int) []candidate {
	longest := 0
	for _, o := range found[:min(len(found), 1)] {
		longest = o.longest
	}
	lo := sort.Search(len(found), func(i int) bool { return found[i].start > s-longest })
	hi := sort.Search(len(found), func(i int) bool { return found[i].start >= e })
	var out []candidate
	for _, o := range found[lo:max(lo, hi)] {
		if o.end > s {
			out = append(out, o)
		}
	}
	return out
}

// redactRange renders content[from:to] with the spans inside it (sorted by
// start, possibly overlapping) replaced by the redacted form of their text
// and the rest passed through rep.
func redactRange(content []byte, from, to int, spans [][2]int, rep *strings.Replacer) string {
	var b strings.Builder
	at := from
	for i := 0; i < len(spans); i++ {
		st, en := spans[i][0], spans[i][1]
		// Merge the spans overlapping this one.
		for i+1 < len(spans) && spans[i+1][0] < en {
			i++
			en = max(en, spans[i][1])
		}
		st, en = max(st, at), min(en, to)
		if st >= en {
			continue
		}
		b.WriteString(rep.Replace(string(content[at:st])))
		b.WriteString(Redact(string(content[st:en])))
		at = en
	}
	if at < to {
		b.WriteString(rep.Replace(string(content[at:to])))
	}
	return b.String()
}

// cutFront keeps at most n bytes at the end of s, on a rune boundary.
func cutFront(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := len(s) - n
	for i < len(s) && !utf8.RuneStart(s[i]) {
		i++
	}
	return s[i:]
}

// cutBack keeps at most n bytes at the start of s, on a rune boundary.
func cutBack(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// shannon is the Shannon entropy of b in bits per byte.
func shannon(b []byte) float64 {
	if len(b) == 0 {
		return 0
	}
	var counts [256]int
	for _, c := range b {
		counts[c]++
	}
	n := float64(len(b))
	h := 0.0
	for _, k := range counts {
		if k > 0 {
			p := float64(k) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// Stats counts what a Detector has done since it was made.
type Stats struct {
	// Fragments and Bytes are what Detect was given.
	Fragments, Bytes int64
	// Binary counts fragments skipped as binary.
	Binary int64
	// AllowedFragments counts fragments a global allowlist allowed whole.
	AllowedFragments int64
	// RegexRuns counts rule regexes run over a fragment.
	RegexRuns int64
	// RegexBytes counts the bytes those regexes read: the whole fragment,
	// or for a line-local rule the lines holding its keywords.
	RegexBytes int64
	// Dropped counts regex matches that entropy, allowlists, inline markers
	// or the built-in control dropped; Matches those reported.
	Dropped, Matches int64
	// Rules has one entry per rule with a regex, in rule order: how often
	// its keywords let it run and what it reported. A rule that runs often
	// and rarely reports has keywords too common to filter.
	Rules []RuleStats
}

// RuleStats counts one rule's work.
type RuleStats struct {
	ID      string
	Runs    int64
	Matches int64
}

type counters struct {
	fragments, bytes, binary, allowedFragments, regexRuns, regexBytes, dropped, matches atomic.Int64
	ruleRuns, ruleMatches                                                               []atomic.Int64
}

// Stats returns the counters.
func (d *Detector) Stats() Stats {
	st := Stats{
		Fragments:        d.stats.fragments.Load(),
		Bytes:            d.stats.bytes.Load(),
		Binary:           d.stats.binary.Load(),
		AllowedFragments: d.stats.allowedFragments.Load(),
		RegexRuns:        d.stats.regexRuns.Load(),
		RegexBytes:       d.stats.regexBytes.Load(),
		Dropped:          d.stats.dropped.Load(),
		Matches:          d.stats.matches.Load(),
	}
	for i, r := range d.rules {
		if r.pattern != "" {
			st.Rules = append(st.Rules, RuleStats{ID: r.id, Runs: d.stats.ruleRuns[i].Load(), Matches: d.stats.ruleMatches[i].Load()})
		}
	}
	return st
}
