package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/airlock-sec/airlock/internal/analyzer"
	"github.com/airlock-sec/airlock/internal/fix"
	"github.com/airlock-sec/airlock/internal/scan"
	"github.com/airlock-sec/airlock/internal/vuln"
)

func cmdFix(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("airlock fix", flag.ContinueOnError)
	dbPath := fs.String("db", defaultDB(), "vulnerability database file (env AIRLOCK_DB)")
	regs := addRegistryFlag(fs)
	regConfig := fs.String("registry-config", "", "configuration file with a registries: section (default: the user's airlock/config.yaml)")
	write := fs.Bool("write", false, "apply the changes to the files (default: print the diff only)")
	strategy := fs.String("strategy", "minimal", "target version: minimal (lowest fixing release of the major line), patch-latest, latest-in-major")
	group := fs.String("group", "package", "one plan per package and manifest (package) or one for the whole project (project)")
	format := fs.String("format", "text", "output: text (summary and unified diff) or json (the plans)")
	goSumDB := fs.String("go-sumdb", "", "GOSUMDB for the go command: off for a site without the checksum database (default: the environment's, else sum.golang.org through the mirror)")
	timeout := fs.Duration("tool-timeout", fix.DefaultTimeout, "limit for one run of go or npm")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: airlock fix [flags] [PATH]\n\nPlans upgrades of PATH's vulnerable dependencies (default: the current directory) to releases\nthe configured mirrors serve, and prints the diff; --write applies it.\n\nFlags:")
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
		return usageError{"fix takes one PATH"}
	}
	strat, err := fix.ParseStrategy(*strategy)
	if err != nil {
		return usageError{"--strategy: " + err.Error()}
	}
	grouping := fix.Grouping(*group)
	if grouping != fix.PerPackage && grouping != fix.PerProject {
		return usageError{fmt.Sprintf("--group %q: use package or project", *group)}
	}
	if *format != "text" && *format != "json" {
		return usageError{fmt.Sprintf("--format %q: use text or json", *format)}
	}
	if fi, err := os.Stat(target); err != nil {
		return err
	} else if !fi.IsDir() {
		return usageError{"fix takes a directory: " + target + " is a file"}
	}
	db, srcs, err := openDB(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	set, err := openRegistries(regs, *regConfig)
	if err != nil {
		return err
	}
	opts, err := scan.Assemble(scan.Assembly{Names: []string{"vuln"}, Env: analyzer.Env{VulnDB: db, Sources: sources(srcs)}})
	if err != nil {
		return err
	}
	res, err := scan.Run(ctx, target, opts)
	if err != nil {
		return err
	}
	for _, n := range res.Notices {
		if n.Level == analyzer.NoticeError {
			fmt.Fprintf(stderr, "%s: %s: %s\n", n.Level, n.Where(), n.Message)
		}
	}
	root, err := filepath.Abs(target)
	if err != nil {
		return err
	}
	planner := &fix.Planner{Registry: set, Matcher: vuln.NewMatcher(db), Strategy: strat, Root: root}
	changes, err := planner.Plan(ctx, res.Findings)
	if err != nil {
		return err
	}
	app := &fix.Applier{Root: root, Mirror: set.Mirror, Registry: set, Env: os.Environ(), Timeout: *timeout, GoSumDB: *goSumDB}
	plans := fix.Group(changes, grouping)
	var failed int
	for i := range plans {
		p := &plans[i]
		if err := app.Apply(ctx, p); err != nil {
			return err
		}
		if p.Failed != "" {
			failed++
			continue
		}
		if *write && len(p.Edits) > 0 {
			// Each plan is written before the next is worked out, so the
			// next sees its changes.
			if err := app.Write(p); err != nil {
				return err
			}
		}
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Changes []fix.Change `json:"changes"`
			Plans   []fix.Plan   `json:"plans"`
			Written bool         `json:"written"`
		}{changes, plans, *write}); err != nil {
			return err
		}
	} else {
		writeFixText(stdout, changes, plans, *write)
	}
	if st := set.Stats(); st.Requests > 0 || st.CacheHits > 0 {
		fmt.Fprintf(stderr, "registry: %d requests, %d answered from the cache\n", st.Requests, st.CacheHits)
	}
	if failed > 0 {
		for _, p := range plans {
			if p.Failed != "" {
				fmt.Fprintf(stderr, "%s: %s\n%s\n", p.Title, p.Failed, p.ToolOutput)
			}
		}
		return fmt.Errorf("%d of %d plans could not be applied (their tools' output is above)", failed, len(plans))
	}
	return nil
}

func writeFixText(w io.Writer, changes []fix.Change, plans []fix.Plan, written bool) {
	if len(changes) == 0 {
		fmt.Fprintln(w, "No vulnerable dependencies.")
		return
	}
	var unfixed []fix.Change
	for _, c := range changes {
		if !c.Fixable() {
			unfixed = append(unfixed, c)
			continue
		}
		how := string(c.Method)
		switch {
		case c.Method == fix.MethodOverride:
			how = c.Override
		case c.Method == fix.MethodParent && c.Parent != nil:
			how = "through " + c.Parent.Name + " " + c.ParentTo
		}
		fmt.Fprintf(w, "%s %s → %s  %s, %s; %s\n", c.Name, c.From, c.To, c.Manifest, how, vulnSummary(c))
		if c.Method != fix.MethodDirect {
			// Say why through the parent, or why not.
			if _, why, ok := strings.Cut(c.Reason, "; "); ok {
				fmt.Fprintf(w, "  %s\n", why)
			}
		}
	}
	if len(unfixed) > 0 {
		fmt.Fprintln(w, "\nNot fixed:")
		for _, c := range unfixed {
			fmt.Fprintf(w, "  %s %s  %s: %s: %s\n", c.Name, c.From, c.Manifest, strings.ReplaceAll(string(c.Status), "_", " "), c.Reason)
		}
	}
	for _, p := range plans {
		for _, m := range p.Manual {
			fmt.Fprintf(w, "\nBy hand: %s\n", m)
		}
	}
	for _, p := range plans {
		if p.Diff == "" {
			continue
		}
		fmt.Fprintf(w, "\n# %s\n%s", p.Title, p.Diff)
	}
	if written {
		var files []string
		for _, p := range plans {
			for _, e := range p.Edits {
				files = append(files, e.Path)
			}
		}
		if len(files) > 0 {
			fmt.Fprintf(w, "\nWrote %s.\n", strings.Join(files, ", "))
		}
	} else if hasEdits(plans) {
		fmt.Fprintln(w, "\nDry run: nothing written; run again with --write to apply.")
	}
	if len(plans) > 0 && !hasEdits(plans) {
		fmt.Fprintln(w, "\nNothing to write: no plan changes a file; what is left is to do by hand (above), and on the server such a plan cannot be approved.")
	}
}

func hasEdits(plans []fix.Plan) bool {
	for _, p := range plans {
		if len(p.Edits) > 0 {
			return true
		}
	}
	return false
}

func vulnSummary(c fix.Change) string {
	n := len(c.Vulnerabilities)
	ids := make([]string, 0, min(n, 3))
	for i, v := range c.Vulnerabilities {
		if i == 3 {
			break
		}
		ids = append(ids, v.ID)
	}
	more := ""
	if n > 3 {
		more = fmt.Sprintf(" and %d more", n-3)
	}
	return fmt.Sprintf("fixes %s%s (highest %s)", strings.Join(ids, ", "), more, c.Severity)
}
