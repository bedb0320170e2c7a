package secret

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"regexp/syntax"
	"slices"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/source"
)

// Config is a rule set in gitleaks v8 TOML, read unchanged, plus the airlock
// extension "severity" on rules.
type Config struct {
	// Title is the optional title of the rule set.
	Title string
	// Extend says which other rule set this one builds on.
	Extend Extend
	// Rules are the detection rules, in file order.
	Rules []Rule
	// Allowlists are the global allowlists: the legacy [allowlist] table and
	// the [[allowlists]] array of gitleaks 8.25+.
	Allowlists []Allowlist
}

// Extend is the [extend] table.
type Extend struct {
	// UseDefault merges the rule set with the embedded default rules.
	UseDefault bool
	// Path names another rule set file, relative to this one.
	Path string
	// DisabledRules lists rule ids of the extended rule set to drop.
	DisabledRules []string
}

// Rule is one [[rules]] entry.
type Rule struct {
	// ID identifies the rule; required.
	ID string
	// Description is a one-line title.
	Description string
	// Regex is the RE2 pattern that finds the secret.
	Regex string
	// SecretGroup is the capture group holding the secret; 0 means the first
	// non-empty group, or the whole match when the pattern has no groups.
	SecretGroup int
	// Entropy is the minimum Shannon entropy (bits per character) of the secret.
	Entropy float64
	// Keywords gate the rule: its regex runs only on content containing one of
	// them (case-insensitive). A rule without keywords always runs.
	Keywords []string
	// Path is a regex on the file path; a rule with Path and no Regex matches
	// the file itself.
	Path string
	// Tags are free-form labels; "no-builtin-allowlist" turns off airlock's
	// built-in false-positive control for the rule.
	Tags []string
	// Severity is critical, high, medium, low or info (airlock extension;
	// default high).
	Severity string
	// Allowlists are the rule's own allowlists: [[rules.allowlists]] and the
	// legacy [rules.allowlist].
	Allowlists []Allowlist
}

// Allowlist suppresses matches. With Condition "OR" any configured criterion
// suffices; with "AND" every configured criterion must hold.
type Allowlist struct {
	// Description says why the allowlist exists.
	Description string
	// Condition is "OR" (default) or "AND".
	Condition string
	// Commits are commit SHAs whose matches are allowed.
	Commits []string
	// Paths are regexes on the slash-separated path.
	Paths []string
	// Regexes are regexes on the RegexTarget.
	Regexes []string
	// StopWords allow a secret that contains one of them (case-insensitive).
	StopWords []string
	// RegexTarget is "secret" (default), "match" or "line".
	RegexTarget string
	// TargetRules limits a global allowlist to these rule ids (gitleaks 8.25+);
	// empty means every rule.
	TargetRules []string
}

// Tag values with a meaning to the detector.
const (
	// TagNoBuiltinAllowlist turns off the built-in false-positive control.
	TagNoBuiltinAllowlist = "no-builtin-allowlist"
	// TagGeneric marks a rule that finds secrets by their setting's name
	// rather than their format: it yields to any other rule that finds an
	// overlapping secret in the same fragment, so one credential is one
	// finding, under its specific rule.
	TagGeneric = "generic"
)

// The TOML shapes. They mirror gitleaks' field names exactly; decoding into
// them and checking MetaData.Undecoded finds unknown fields.
type tomlConfig struct {
	Title       string          `toml:"title"`
	Description string          `toml:"description"`
	MinVersion  string          `toml:"minVersion"`
	Extend      tomlExtend      `toml:"extend"`
	Rules       []tomlRule      `toml:"rules"`
	Allowlist   *tomlAllowlist  `toml:"allowlist"`
	Allowlists  []tomlAllowlist `toml:"allowlists"`
}

type tomlExtend struct {
	UseDefault    bool     `toml:"useDefault"`
	Path          string   `toml:"path"`
	URL           string   `toml:"url"`
	DisabledRules []string `toml:"disabledRules"`
}

type tomlRule struct {
	ID          string           `toml:"id"`
	Description string           `toml:"description"`
	Regex       string           `toml:"regex"`
	SecretGroup int              `toml:"secretGroup"`
	Entropy     float64          `toml:"entropy"`
	Keywords    []string         `toml:"keywords"`
	Path        string           `toml:"path"`
	Tags        []string         `toml:"tags"`
	Severity    string           `toml:"severity"`
	Allowlist   *tomlAllowlist   `toml:"allowlist"`
	Allowlists  []tomlAllowlist  `toml:"allowlists"`
	Required    []map[string]any `toml:"required"`
	SkipReport  bool             `toml:"skipReport"`
}

type tomlAllowlist struct {
	Description string   `toml:"description"`
	Condition   string   `toml:"condition"`
	Commits     []string `toml:"commits"`
	Paths       []string `toml:"paths"`
	Regexes     []string `toml:"regexes"`
	RegexTarget string   `toml:"regexTarget"`
	StopWords   []string `toml:"stopwords"`
	TargetRules []string `toml:"targetRules"`
}

// ParseConfig reads a rule set. name is used in errors, which give the file,
// the line and the field.
func ParseConfig(name string, r io.Reader) (*Config, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var raw tomlConfig
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&raw)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s:%d: %s", name, pe.Position.Line, pe.Message)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	pos := locateKeys(data)
	p := &parser{name: name, pos: pos, extends: raw.Extend.UseDefault || raw.Extend.Path != ""}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		k := undecoded[0]
		table, line := pos.firstUnder(k)
		var i int
		if _, err := fmt.Sscanf(table, "rules[%d]", &i); err == nil && i < len(raw.Rules) {
			table = fmt.Sprintf("%s (id %q)%s", table[:strings.IndexByte(table, ']')+1], raw.Rules[i].ID, table[strings.IndexByte(table, ']')+1:])
		}
		return nil, p.errAt(line, table, fmt.Sprintf("unknown field %q", k[len(k)-1]))
	}
	return p.convert(&raw)
}

type parser struct {
	name    string
	pos     *keyPositions
	extends bool
}

func (p *parser) errAt(line int, where, msg string) error {
	if line > 0 {
		if where != "" {
			return fmt.Errorf("%s:%d: %s: %s", p.name, line, where, msg)
		}
		return fmt.Errorf("%s:%d: %s", p.name, line, msg)
	}
	if where != "" {
		return fmt.Errorf("%s: %s: %s", p.name, where, msg)
	}
	return fmt.Errorf("%s: %s", p.name, msg)
}

// fieldErr reports a problem with field key of the table at path.
func (p *parser) fieldErr(path, label, key, msg string) error {
	return p.errAt(p.pos.line(path, key), label, fmt.Sprintf("field %q: %s", key, msg))
}

func (p *parser) convert(raw *tomlConfig) (*Config, error) {
	if raw.Extend.URL != "" {
		return nil, p.fieldErr("extend", "extend", "url", "airlock works offline: download the file and use [extend] path instead")
	}
	cfg := &Config{
		Title: raw.Title,
		Extend: Extend{
			UseDefault:    raw.Extend.UseDefault,
			Path:          raw.Extend.Path,
			DisabledRules: raw.Extend.DisabledRules,
		},
	}
	if raw.Allowlist != nil {
		a, err := p.allowlist("allowlist", "allowlist", raw.Allowlist, true)
		if err != nil {
			return nil, err
		}
		cfg.Allowlists = append(cfg.Allowlists, a)
	}
	for i := range raw.Allowlists {
		path := fmt.Sprintf("allowlists[%d]", i)
		a, err := p.allowlist(path, path, &raw.Allowlists[i], true)
		if err != nil {
			return nil, err
		}
		cfg.Allowlists = append(cfg.Allowlists, a)
	}
	for i := range raw.Rules {
		r, err := p.rule(i, &raw.Rules[i])
		if err != nil {
			return nil, err
		}
		cfg.Rules = append(cfg.Rules, r)
	}
	return cfg, nil
}

func (p *parser) rule(i int, tr *tomlRule) (Rule, error) {
	path := fmt.Sprintf("rules[%d]", i)
	label := fmt.Sprintf("%s (id %q)", path, tr.ID)
	if tr.ID == "" {
		return Rule{}, p.errAt(p.pos.tableLine(path), path, `field "id": required`)
	}
	if len(tr.Required) > 0 || tr.SkipReport {
		key := "required"
		if len(tr.Required) == 0 {
			key = "skipReport"
		}
		return Rule{}, p.fieldErr(path, label, key, "composite rules are not supported; remove the field or the rule")
	}
	// A rule of a file that extends another may only override fields of a
	// rule of the same id; LoadConfig checks the merged rule.
	if tr.Regex == "" && tr.Path == "" && !p.extends {
		return Rule{}, p.errAt(p.pos.tableLine(path), label, `a rule needs "regex", "path" or both`)
	}
	if tr.Regex != "" {
		re, err := checkRegex(tr.Regex)
		if err != nil {
			return Rule{}, p.fieldErr(path, label, "regex", err.Error())
		}
		if tr.SecretGroup > re.MaxCap() {
			return Rule{}, p.fieldErr(path, label, "secretGroup", fmt.Sprintf("%d is more than the %d groups of the regex", tr.SecretGroup, re.MaxCap()))
		}
	}
	if tr.SecretGroup < 0 {
		return Rule{}, p.fieldErr(path, label, "secretGroup", "must not be negative")
	}
	if tr.Entropy < 0 {
		return Rule{}, p.fieldErr(path, label, "entropy", "must not be negative")
	}
	if tr.Path != "" {
		if _, err := checkRegex(tr.Path); err != nil {
			return Rule{}, p.fieldErr(path, label, "path", err.Error())
		}
	}
	if tr.Severity != "" {
		if _, ok := parseRuleSeverity(tr.Severity); !ok {
			return Rule{}, p.fieldErr(path, label, "severity", fmt.Sprintf("%q is not one of critical, high, medium, low, info", tr.Severity))
		}
	}
	for _, k := range tr.Keywords {
		if k == "" {
			return Rule{}, p.fieldErr(path, label, "keywords", "empty keyword")
		}
	}
	r := Rule{
		ID:          tr.ID,
		Description: tr.Description,
		Regex:       tr.Regex,
		SecretGroup: tr.SecretGroup,
		Entropy:     tr.Entropy,
		Keywords:    tr.Keywords,
		Path:        tr.Path,
		Tags:        tr.Tags,
		Severity:    strings.ToLower(tr.Severity),
	}
	if tr.Allowlist != nil {
		a, err := p.allowlist(path+".allowlist", label+" allowlist", tr.Allowlist, false)
		if err != nil {
			return Rule{}, err
		}
		r.Allowlists = append(r.Allowlists, a)
	}
	for j := range tr.Allowlists {
		sub := fmt.Sprintf("%s.allowlists[%d]", path, j)
		a, err := p.allowlist(sub, fmt.Sprintf("%s allowlists[%d]", label, j), &tr.Allowlists[j], false)
		if err != nil {
			return Rule{}, err
		}
		r.Allowlists = append(r.Allowlists, a)
	}
	return r, nil
}

func (p *parser) allowlist(path, label string, ta *tomlAllowlist, global bool) (Allowlist, error) {
	a := Allowlist{
		Description: ta.Description,
		Condition:   strings.ToUpper(strings.TrimSpace(ta.Condition)),
		Commits:     ta.Commits,
		Paths:       ta.Paths,
		Regexes:     ta.Regexes,
		StopWords:   ta.StopWords,
		RegexTarget: strings.ToLower(strings.TrimSpace(ta.RegexTarget)),
		TargetRules: ta.TargetRules,
	}
	switch a.Condition {
	case "":
		a.Condition = "OR"
	case "OR", "AND":
	default:
		return a, p.fieldErr(path, label, "condition", fmt.Sprintf("%q is not OR or AND", ta.Condition))
	}
	switch a.RegexTarget {
	case "":
		a.RegexTarget = "secret"
	case "secret", "match", "line":
	default:
		return a, p.fieldErr(path, label, "regexTarget", fmt.Sprintf("%q is not secret, match or line", ta.RegexTarget))
	}
	if !global && len(a.TargetRules) > 0 {
		return a, p.fieldErr(path, label, "targetRules", "only global allowlists have targetRules")
	}
	for _, w := range a.StopWords {
		if w == "" {
			return a, p.fieldErr(path, label, "stopwords", "an empty stop word would allow every secret")
		}
	}
	for _, re := range a.Paths {
		if _, err := checkRegex(re); err != nil {
			return a, p.fieldErr(path, label, "paths", err.Error())
		}
	}
	for _, re := range a.Regexes {
		if _, err := checkRegex(re); err != nil {
			return a, p.fieldErr(path, label, "regexes", err.Error())
		}
	}
	if len(a.Commits)+len(a.Paths)+len(a.Regexes)+len(a.StopWords) == 0 {
		return a, p.errAt(p.pos.tableLine(path), label, "an allowlist needs commits, paths, regexes or stopwords")
	}
	return a, nil
}

// checkRegex parses a pattern with RE2 syntax (Perl flags) and explains the
// constructs RE2 refuses.
func checkRegex(expr string) (*syntax.Regexp, error) {
	for _, la := range []string{"(?=", "(?!", "(?<=", "(?<!"} {
		if strings.Contains(expr, la) {
			return nil, fmt.Errorf("lookaround %q is not supported by RE2; rewrite the pattern without it", la+"...)")
		}
	}
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil, err
	}
	return re, nil
}

func parseRuleSeverity(s string) (finding.Severity, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical":
		return finding.Critical, true
	case "high":
		return finding.High, true
	case "medium":
		return finding.Medium, true
	case "low":
		return finding.Low, true
	case "info":
		return finding.Info, true
	}
	return finding.Unknown, false
}

//go:embed rules/default.toml
var defaultTOML []byte

var parseDefault = sync.OnceValues(func() (*Config, error) {
	return ParseConfig("rules/default.toml", bytes.NewReader(defaultTOML))
})

// DefaultConfig returns the embedded default rule set. Each call returns a
// copy the caller may change.
func DefaultConfig() *Config {
	cfg, err := parseDefault()
	if err != nil {
		// The embedded file is tested; a failure here is a build defect.
		panic("secret: embedded default rules: " + err.Error())
	}
	return cfg.clone()
}

// maxExtendDepth bounds chains of [extend] path.
const maxExtendDepth = 8

// maxConfigSize bounds a rule set file named by the operator or reached
// through its [extend] path. A repository's files are bounded by
// source.MaxRepoConfigSize.
const maxConfigSize = 16 << 20

// LoadConfig reads the operator's rule set file (a host path, from a flag)
// and resolves its [extend] table: the embedded default rules (useDefault)
// and another file (path, relative to this one), with this file's rules
// overriding those of the same id. Every file read must be a regular file
// of at most 16 MiB: a device or a FIFO is refused without blocking.
func LoadConfig(path string) (*Config, error) {
	return loadConfig(hostFiles{}, path, nil, nil)
}

// LoadRepoConfig reads a rule set that a repository supplies: rel is its
// slash-separated path inside the repository at root (".gitleaks.toml").
// Repository content is untrusted, so the file and the file its [extend]
// path names must be regular files inside the repository (no absolute
// paths, no ".." out of it, no symbolic links leading out, no devices or
// FIFOs), each of at most source.MaxRepoConfigSize bytes; errors name
// repository-relative paths only. A missing rel satisfies
// errors.Is(err, fs.ErrNotExist).
func LoadRepoConfig(root, rel string) (*Config, error) {
	return loadConfig(repoFiles{root}, rel, nil, nil)
}

// LoadRepoConfigOn is LoadRepoConfig with defaults as the rule set that
// [extend] useDefault names (the site's rules from a data bundle); nil
// means the embedded default rules.
func LoadRepoConfigOn(root, rel string, defaults *Config) (*Config, error) {
	return loadConfig(repoFiles{root}, rel, nil, defaults)
}

// configFiles reads rule set files and resolves [extend] paths.
type configFiles interface {
	read(name string) ([]byte, error)
	// extend returns the name of the file that the [extend] path p of
	// the file from names.
	extend(from, p string) (string, error)
	// key identifies a file for cycle detection.
	key(name string) string
}

type hostFiles struct{}

func (hostFiles) read(name string) ([]byte, error) {
	b, err := source.ReadRegularFile(name, maxConfigSize)
	if err != nil {
		return nil, fmt.Errorf("secret: read rule set: %w", err)
	}
	return b, nil
}

func (hostFiles) extend(from, p string) (string, error) {
	if !filepath.IsAbs(p) {
		p = filepath.Join(filepath.Dir(from), filepath.FromSlash(p))
	}
	return p, nil
}

func (hostFiles) key(name string) string {
	if abs, err := filepath.Abs(name); err == nil {
		return abs
	}
	return name
}

type repoFiles struct{ root string }

func (r repoFiles) read(name string) ([]byte, error) {
	b, err := source.ReadRepoFile(r.root, name, source.MaxRepoConfigSize)
	if err != nil {
		return nil, fmt.Errorf("secret: repository rule set: %w", err)
	}
	return b, nil
}

func (repoFiles) extend(from, p string) (string, error) {
	if strings.HasPrefix(p, "/") || filepath.IsAbs(p) || strings.Contains(p, "\\") {
		return "", fmt.Errorf("%s: [extend] path %q: a repository's rule set may only extend a file inside the repository, by a relative path", from, p)
	}
	name := path.Join(path.Dir(from), p)
	if name == ".." || strings.HasPrefix(name, "../") {
		return "", fmt.Errorf("%s: [extend] path %q: %w: a repository's rule set may only extend a file inside the repository", from, p, source.ErrOutsideRepo)
	}
	return name, nil
}

func (repoFiles) key(name string) string { return path.Clean(name) }

func loadConfig(files configFiles, name string, chain []string, defaults *Config) (*Config, error) {
	key := files.key(name)
	if slices.Contains(chain, key) {
		return nil, fmt.Errorf("secret: rule set %s: [extend] path cycle: %s", name, strings.Join(append(chain, key), " -> "))
	}
	if len(chain) >= maxExtendDepth {
		return nil, fmt.Errorf("secret: rule set %s: [extend] chain deeper than %d files", name, maxExtendDepth)
	}
	data, err := files.read(name)
	if err != nil {
		return nil, err
	}
	cfg, err := ParseConfig(name, bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	chain = append(chain, key)
	var base *Config
	if cfg.Extend.UseDefault {
		if defaults != nil {
			base = defaults.clone()
		} else {
			base = DefaultConfig()
		}
	}
	if cfg.Extend.Path != "" {
		p, err := files.extend(name, cfg.Extend.Path)
		if err != nil {
			return nil, fmt.Errorf("secret: %w", err)
		}
		ext, err := loadConfig(files, p, chain, defaults)
		if err != nil {
			return nil, err
		}
		if base == nil {
			base = ext
		} else {
			base = merge(base, ext, nil)
		}
	}
	if base == nil {
		return cfg, nil
	}
	merged := merge(base, cfg, cfg.Extend.DisabledRules)
	for _, r := range merged.Rules {
		if r.Regex == "" && r.Path == "" {
			return nil, fmt.Errorf("%s: rule %q: extends no rule of that id and has no regex or path", name, r.ID)
		}
	}
	return merged, nil
}

// merge lays top over base: base rules listed in disabled are dropped; a top
// rule with the id of a base rule overrides the fields it sets and adds its
// keywords, tags and allowlists; global allowlists add up.
func merge(base, top *Config, disabled []string) *Config {
	out := &Config{Title: top.Title, Extend: top.Extend}
	if out.Title == "" {
		out.Title = base.Title
	}
	index := map[string]int{}
	for _, r := range base.Rules {
		if slices.Contains(disabled, r.ID) {
			continue
		}
		index[r.ID] = len(out.Rules)
		out.Rules = append(out.Rules, r.clone())
	}
	for _, r := range top.Rules {
		i, ok := index[r.ID]
		if !ok {
			index[r.ID] = len(out.Rules)
			out.Rules = append(out.Rules, r.clone())
			continue
		}
		b := &out.Rules[i]
		if r.Description != "" {
			b.Description = r.Description
		}
		if r.Regex != "" {
			b.Regex = r.Regex
			b.SecretGroup = r.SecretGroup
		} else if r.SecretGroup != 0 {
			b.SecretGroup = r.SecretGroup
		}
		if r.Entropy != 0 {
			b.Entropy = r.Entropy
		}
		if r.Path != "" {
			b.Path = r.Path
		}
		if r.Severity != "" {
			b.Severity = r.Severity
		}
		b.Keywords = appendNew(b.Keywords, r.Keywords)
		b.Tags = appendNew(b.Tags, r.Tags)
		b.Allowlists = append(b.Allowlists, cloneAllowlists(r.Allowlists)...)
	}
	out.Allowlists = append(cloneAllowlists(base.Allowlists), cloneAllowlists(top.Allowlists)...)
	return out
}

func appendNew(dst, src []string) []string {
	for _, s := range src {
		if !slices.Contains(dst, s) {
			dst = append(dst, s)
		}
	}
	return dst
}

func (c *Config) clone() *Config {
	out := &Config{
		Title: c.Title,
		Extend: Extend{
			UseDefault:    c.Extend.UseDefault,
			Path:          c.Extend.Path,
			DisabledRules: slices.Clone(c.Extend.DisabledRules),
		},
		Allowlists: cloneAllowlists(c.Allowlists),
	}
	for _, r := range c.Rules {
		out.Rules = append(out.Rules, r.clone())
	}
	return out
}

func (r Rule) clone() Rule {
	r.Keywords = slices.Clone(r.Keywords)
	r.Tags = slices.Clone(r.Tags)
	r.Allowlists = cloneAllowlists(r.Allowlists)
	return r
}

func cloneAllowlists(as []Allowlist) []Allowlist {
	if as == nil {
		return nil
	}
	out := make([]Allowlist, len(as))
	for i, a := range as {
		a.Commits = slices.Clone(a.Commits)
		a.Paths = slices.Clone(a.Paths)
		a.Regexes = slices.Clone(a.Regexes)
		a.StopWords = slices.Clone(a.StopWords)
		a.TargetRules = slices.Clone(a.TargetRules)
		out[i] = a
	}
	return out
}
