package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/airlock-sec/airlock/internal/analyzer"
	analyzers "github.com/airlock-sec/airlock/internal/analyzer/list"
	"github.com/airlock-sec/airlock/internal/analyzer/secretscan"
	"github.com/airlock-sec/airlock/internal/bundle"
	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/iac"
	"github.com/airlock-sec/airlock/internal/iac/policies"
	"github.com/airlock-sec/airlock/internal/inventory/gomod"
	"github.com/airlock-sec/airlock/internal/inventory/list"
	"github.com/airlock-sec/airlock/internal/netx"
	"github.com/airlock-sec/airlock/internal/report"
	"github.com/airlock-sec/airlock/internal/scan"
	"github.com/airlock-sec/airlock/internal/secret"
	"github.com/airlock-sec/airlock/internal/vulndb"
)

func cmdScan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("airlock scan", flag.ContinueOnError)
	dbPath := fs.String("db", defaultDB(), "vulnerability database file (env AIRLOCK_DB)")
	format := fs.String("format", "table", "output format: "+formatList())
	output := fs.String("output", "", "write the report to this file instead of standard output")
	failOn := fs.String("fail-on", "any", "exit 3 when a finding is at or above: any, low, medium, high, critical, or none")
	config := fs.String("config", "", "policy file (default: .airlock.yaml in the scanned directory)")
	noIgnore := fs.Bool("no-ignore", false, "also read files that .gitignore files exclude")
	scannerList := fs.String("scanners", "", "analyzers to run, comma-separated: "+strings.Join(analyzers.Names(), ", ")+" (default: all that have what they need)")
	history := fs.Bool("history", false, "secret detection: also scan every commit's added lines in git history")
	since := fs.String("since", "", "with --history: only commits after this revision")
	branch := fs.String("branch", "", "with --history: branches to walk, comma-separated (default: all branches and tags)")
	secretConfig := fs.String("secret-config", "", "secret rules in gitleaks TOML (default: .gitleaks.toml in PATH if present, else the embedded rules)")
	iacPolicies := fs.String("iac-policies", "", "a directory of your own Rego policies for IaC files (docs/iac.md), run beside the embedded ones")
	iacPoliciesOnly := fs.Bool("iac-policies-only", false, "with --iac-policies: run only your own IaC policies")
	baseline := fs.String("baseline", "", "a previous JSON report: report only findings not in it")
	goVersion := fs.String("go-version", "", "the Go release that builds the scanned modules (1.22.5): the standard library is checked at it; "+gomod.GoDirectiveValue+" checks it at each go.mod's go directive (a minimum); default: a go.mod's toolchain directive, else go_version in .airlock.yaml, else not checked")
	allowParseErrors := fs.Bool("allow-parse-errors", false, "exit by the findings even when some input could not be read (default: exit 1, since the scan is incomplete)")
	registries := addRegistryFlag(fs)
	offline := fs.Bool("offline", false, "refuse every outbound connection but to the configured mirrors (--registry and its defaults), checked process-wide over each client's own allowlist (serve does this by default)")
	maxFileSize := sizeFlag(scan.DefaultMaxFileSize)
	fs.Var(&maxFileSize, "max-file-size", "largest manifest read, in bytes or with a unit (64MiB, 500KB); a larger one is an error; 0 for no limit")
	maxAge, err := defaultMaxAge()
	if err != nil {
		return err
	}
	fs.Var(ageFlag{&maxAge}, "max-age", "warn when the vulnerability data is older than this (7d, 36h; env AIRLOCK_DB_MAX_AGE)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: airlock scan [flags] [PATH]\n\nScans PATH (default: the current directory), or one manifest, for vulnerable dependencies, secrets and IaC misconfigurations.\n\nFlags:")
		fs.PrintDefaults()
	}
	pos, err := parse(fs, args, stderr)
	if err != nil {
		return err
	}
	target := "."
	switch len(pos) {
	case 0:
	case 1:
		target = pos[0]
	default:
		return usageError{"scan takes one PATH"}
	}
	f := report.Format(*format)
	if !validFormat(f) {
		return usageError{fmt.Sprintf("unknown --format %q: use one of %s", *format, formatList())}
	}
	threshold, err := parseFailOn(*failOn)
	if err != nil {
		return err
	}
	goOpts, err := gomod.ParseGoVersion(*goVersion)
	if err != nil {
		return usageError{"--go-version: " + err.Error()}
	}
	var names []string
	for _, s := range strings.Split(*scannerList, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		} else if !slices.Contains(analyzers.Names(), s) {
			return usageError{fmt.Sprintf("unknown scanner %q: available: %s", s, strings.Join(analyzers.Names(), ", "))}
		}
		names = append(names, s)
	}
	wants := func(name string) bool { return len(names) == 0 || slices.Contains(names, name) }
	if (*history || *since != "" || *branch != "") && !wants("secret") {
		return usageError{"--history, --since and --branch are for secret detection: add secret to --scanners"}
	}
	if (*since != "" || *branch != "") && !*history {
		return usageError{"--since and --branch need --history"}
	}

	var siteNotice *scan.Notice
	if *iacPoliciesOnly && *iacPolicies == "" {
		return usageError{"--iac-policies-only needs --iac-policies DIR"}
	}
	if *iacPolicies != "" && !wants("iac") {
		return usageError{"--iac-policies is for IaC scanning: add iac to --scanners"}
	}

	asm := scan.Assembly{Names: names, Env: analyzer.Env{MaxAge: maxAge}, Extractors: list.Options{Go: goOpts}}
	if wants("vuln") || wants("risk") {
		// The risk analyzer reads the data's MAL- records and
		// informational advisories, and says so when there are none.
		db, srcs, err := openDB(ctx, *dbPath)
		switch {
		case err == nil:
			defer db.Close()
			asm.Env.VulnDB, asm.Env.Sources = db, sources(srcs)
		case slices.Contains(names, "vuln") || dbNamed(fs) || !errors.Is(err, errNoData):
			// Only the built-in default may be missing: a database the
			// user named (--db, AIRLOCK_DB) that is missing or empty is a
			// mistake to report, not a scan to pass without data.
			return err
		default:
			// Asked for nothing in particular: scan what can be scanned
			// (Assemble says what was skipped and why).
			asm.Env.VulnDBErr = err
		}
	}
	// Licenses are listed without a policy when asked for by name or by
	// a format that carries them.
	asm.Analyzers.License.Always = slices.Contains(names, "license") || f == report.Licenses || f == report.CycloneDX
	if wants("risk") || wants("license") {
		if asm.Env.Registries, err = openRegistries(registries, os.Getenv("AIRLOCK_USER_CONFIG")); err != nil {
			return err
		}
	}
	var site map[bundle.Kind]*vulndb.Payload
	if wants("secret") || wants("iac") || wants("license") {
		if site, err = sitePayloads(ctx, *dbPath); err != nil {
			return err
		}
	}
	if wants("license") {
		t, err := siteLicenseTable(site[bundle.KindLicenseNames])
		if err != nil {
			return err
		}
		if t != nil {
			asm.Analyzers.License.Names, asm.Analyzers.License.Packages = t.Names, t.Packages
		}
	}
	if *offline {
		hosts, err := netx.NewHosts(asm.Env.Registries.MirrorURLs()...)
		if err != nil {
			return err
		}
		netx.SetOffline(hosts.Permits)
		defer netx.SetOffline(nil)
	}
	if wants("secret") {
		det, err := operatorRules(*secretConfig)
		if err != nil {
			return err
		}
		asm.Analyzers.Secret = secretscan.Config{Detector: det, Operator: *secretConfig != "", History: *history, Since: *since}
		if *secretConfig == "" {
			rules, note, err := siteRules(site[bundle.KindSecretRules])
			if err != nil {
				return err
			}
			if rules != nil {
				asm.Analyzers.Secret.Detector, asm.Analyzers.Secret.Defaults = rules.det, rules.cfg
				siteNotice = &note
			}
		}
		if *branch != "" {
			asm.Analyzers.Secret.Branches = strings.Split(*branch, ",")
		}
	}
	var iacNotice *scan.Notice
	if wants("iac") {
		asm.Analyzers.IaC.PoliciesOnly = *iacPoliciesOnly
		if !*iacPoliciesOnly {
			if asm.Analyzers.IaC.Site, iacNotice, err = siteIaC(ctx, site[bundle.KindIaCPolicies]); err != nil {
				return err
			}
		}
		if *iacPolicies != "" {
			srcs, err := iac.LoadDir(*iacPolicies)
			if err != nil {
				return err
			}
			// The user's policies may import the embedded helpers.
			libs, err := policies.Libraries()
			if err != nil {
				return err
			}
			srcs = append(srcs, libs...)
			if asm.Analyzers.IaC.Policies, err = iac.Compile(ctx, srcs, true); err != nil {
				return err
			}
		}
	}
	opts, err := scan.Assemble(asm)
	if err != nil {
		return err
	}
	if iacNotice != nil {
		opts.Notices = append(opts.Notices, *iacNotice)
	}
	if siteNotice != nil {
		opts.Notices = append(opts.Notices, *siteNotice)
	}
	opts.PolicyFile, opts.NoIgnore, opts.MaxFileSize = *config, *noIgnore, int64(maxFileSize)
	if maxFileSize == 0 {
		opts.MaxFileSize = -1
	}
	if *baseline != "" {
		if opts.Baseline, err = readBaseline(*baseline); err != nil {
			return err
		}
	}
	// The scan flows to its handlers: the progress line first (it erases
	// itself before anything else is written), then the report, then the
	// exit code's count.
	var handlers []scan.Handler
	if isTerminal(stderr) && os.Getenv("CI") == "" {
		p := newProgressLine(stderr)
		defer p.clear()
		handlers = append(handlers, p)
	}
	g := &gate{threshold: threshold}
	ropts := report.Options{ToolName: "airlock", ToolVersion: toolVersion()}
	run := func(w io.Writer) error {
		rh, err := report.NewHandler(w, f, ropts)
		if err != nil {
			return err
		}
		return scan.Stream(ctx, target, opts, scan.Fanout(append(handlers, rh, g)...))
	}
	if *output == "" {
		ropts.Color = f == report.Table && isTerminal(stdout) && os.Getenv("NO_COLOR") == ""
		err = run(stdout)
	} else {
		err = writeFileAtomic(*output, run)
	}
	if err != nil {
		return err
	}
	// Notices go to standard error too when the report is not for people,
	// so that a CI log shows them.
	if f != report.Table || *output != "" {
		for _, n := range g.notices {
			where := ""
			if n.Path != "" {
				where = n.Where() + ": "
			}
			fmt.Fprintf(stderr, "%s: %s%s\n", n.Level, where, n.Message)
		}
	}
	// A scan that could not read all its input is incomplete: a security
	// gate never passes on it, whatever it found (exit 1 wins over 3).
	if n := g.incomplete; n > 0 && !*allowParseErrors {
		return incompleteError{n}
	}
	if g.failing > 0 {
		return findingsError{g.failing}
	}
	return nil
}

// gate is the scan's handler that decides the exit code: it counts the
// findings at or above --fail-on and the input not read, and keeps the
// notices for standard error.
type gate struct {
	scan.Discard
	threshold  finding.Threshold
	failing    int
	incomplete int
	notices    []scan.Notice
}

func (g *gate) Notice(n scan.Notice) error {
	g.notices = append(g.notices, n)
	return nil
}

func (g *gate) Finding(f finding.Finding) error {
	if g.threshold.Fails(f) {
		g.failing++
	}
	return nil
}

func (g *gate) Done(s scan.Summary) error {
	g.incomplete = s.Incomplete
	return nil
}

// incompleteError is a scan that could not read some of its input: exit 1.
type incompleteError struct{ n int }

func (e incompleteError) Error() string {
	return fmt.Sprintf("the scan is incomplete: %d %s (listed in the report's notices): fix them, or pass --allow-parse-errors to judge by what was read",
		e.n, plural(e.n, "input could not be read", "inputs could not be read"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// sizeFlag is a byte count given as a number with an optional unit.
type sizeFlag int64

func (s *sizeFlag) String() string { return formatSize(int64(*s)) }

func (s *sizeFlag) Set(v string) error {
	n, err := parseSize(v)
	if err != nil {
		return err
	}
	*s = sizeFlag(n)
	return nil
}

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1},
}

// parseSize reads "65536", "64MiB", "500KB" or "1G".
func parseSize(v string) (int64, error) {
	t := strings.TrimSpace(v)
	mult := int64(1)
	for _, u := range sizeUnits {
		if len(t) > len(u.suffix) && strings.EqualFold(t[len(t)-len(u.suffix):], u.suffix) {
			t, mult = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size: give bytes or a number with KiB, MiB, GiB, KB, MB or GB", v)
	}
	return n * mult, nil
}

func formatSize(n int64) string {
	switch {
	case n > 0 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "GiB"
	case n > 0 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MiB"
	case n > 0 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "KiB"
	}
	return strconv.FormatInt(n, 10)
}

// errNoData marks a missing or empty vulnerability database.
var errNoData = vulndb.ErrNoData

// dbNamed reports whether the vulnerability database was named by the
// user, with --db or AIRLOCK_DB, rather than taken from the default path.
func dbNamed(fs *flag.FlagSet) bool {
	named := os.Getenv("AIRLOCK_DB") != ""
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "db" {
			named = true
		}
	})
	return named
}

// openDB opens the vulnerability database read-only (it may sit in a
// directory the scan cannot write) and lists its sources; a missing or
// empty database is an error wrapping errNoData.
func openDB(ctx context.Context, path string) (*vulndb.DB, []vulndb.Source, error) {
	db, err := vulndb.Open(ctx, path, vulndb.Options{ReadOnly: true})
	if err != nil {
		return nil, nil, err
	}
	srcs, err := db.Sources(ctx)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	if len(srcs) == 0 {
		db.Close()
		return nil, nil, fmt.Errorf("%w: %s is empty: import OSV data first with 'airlock db import FILE'", errNoData, path)
	}
	return db, srcs, nil
}

// operatorRules builds the secret detector from the operator's
// --secret-config (which may extend any regular file of the host), or from
// the embedded rules when none is given: the secret analyzer then uses a
// repository's own .gitleaks.toml instead when it has one (read as
// repository content: regular files inside it only).
func operatorRules(configFile string) (*secret.Detector, error) {
	cfg := secret.DefaultConfig()
	if configFile != "" {
		var err error
		if cfg, err = secret.LoadConfig(configFile); err != nil {
			return nil, err
		}
	}
	return secret.NewDetector(cfg)
}

// readBaseline reads the fingerprints of a previous JSON report.
func readBaseline(p string) (map[string]bool, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	var rep struct {
		Findings *[]struct {
			Fingerprint string `json:"fingerprint"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("baseline %s: not an airlock JSON report: %v", p, err)
	}
	if rep.Findings == nil {
		return nil, fmt.Errorf("baseline %s: field \"findings\" is missing: give a report written with --format json", p)
	}
	out := map[string]bool{}
	for i, f := range *rep.Findings {
		if f.Fingerprint == "" {
			return nil, fmt.Errorf("baseline %s: findings[%d]: field \"fingerprint\" is missing", p, i)
		}
		out[f.Fingerprint] = true
	}
	return out, nil
}

func sources(ss []vulndb.Source) []scan.Source {
	out := make([]scan.Source, 0, len(ss))
	for _, s := range ss {
		out = append(out, scan.Source{Origin: s.Origin, Ecosystem: s.Ecosystem, Path: s.Path, SHA256: s.SHA256, Records: s.Records,
			NewestModified: s.NewestModified, ImportedAt: s.ImportedAt})
	}
	return out
}

func formatList() string {
	var names []string
	for _, f := range report.Formats() {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}

func validFormat(f report.Format) bool {
	for _, g := range report.Formats() {
		if f == g {
			return true
		}
	}
	return false
}

// parseFailOn reads --fail-on. "any" fails on every unignored finding,
// including those whose data gives no severity (the Go database gives
// none); a severity fails on findings at or above it.
func parseFailOn(s string) (finding.Threshold, error) {
	t, err := finding.ParseThreshold(s)
	if err != nil {
		return 0, usageError{"--fail-on: " + err.Error()}
	}
	return t, nil
}

// writeFileAtomic writes through a temporary file in the same directory
// and renames it into place, so a failed write leaves no partial report.
// Anything that exists and is not a regular file (/dev/stdout, a pipe) is
// written to directly: it cannot be replaced.
func writeFileAtomic(name string, write func(io.Writer) error) (err error) {
	if fi, err := os.Stat(name); err == nil && !fi.Mode().IsRegular() {
		f, err := os.OpenFile(name, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		if err := write(f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}
