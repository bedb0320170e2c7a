package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory/list"
	"github.com/airlock-sec/airlock/internal/report"
	"github.com/airlock-sec/airlock/internal/scan"
	"github.com/airlock-sec/airlock/internal/vulndb"
)

// scanners are the analyzers --scanners selects from.
var scanners = []string{"vuln"}

func cmdScan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("airlock scan", flag.ContinueOnError)
	dbPath := fs.String("db", defaultDB(), "vulnerability database file (env AIRLOCK_DB)")
	format := fs.String("format", "table", "output format: "+formatList())
	output := fs.String("output", "", "write the report to this file instead of standard output")
	failOn := fs.String("fail-on", "any", "exit 3 when a finding is at or above: any, low, medium, high, critical, or none")
	config := fs.String("config", "", "policy file (default: .airlock.yaml in the scanned directory)")
	noIgnore := fs.Bool("no-ignore", false, "also read files that .gitignore files exclude")
	scannerList := fs.String("scanners", strings.Join(scanners, ","), "analyzers to run, comma-separated: "+strings.Join(scanners, ", "))
	maxAge, err := defaultMaxAge()
	if err != nil {
		return err
	}
	fs.Var(ageFlag{&maxAge}, "max-age", "warn when the vulnerability data is older than this (7d, 36h; env AIRLOCK_DB_MAX_AGE)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: airlock scan [flags] [PATH]\n\nScans PATH (default: the current directory), or one manifest, for vulnerable dependencies.\n\nFlags:")
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
	for _, s := range strings.Split(*scannerList, ",") {
		if s = strings.TrimSpace(s); s != "" && !contains(scanners, s) {
			return usageError{fmt.Sprintf("unknown scanner %q: available: %s", s, strings.Join(scanners, ", "))}
		}
	}

	db, err := vulndb.Open(ctx, *dbPath, vulndb.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	srcs, err := db.Sources(ctx)
	if err != nil {
		return err
	}
	if len(srcs) == 0 {
		return fmt.Errorf("the vulnerability database %s is empty: import OSV data first with 'airlock db import FILE'", *dbPath)
	}
	res, err := scan.Run(ctx, target, scan.Options{
		Extractors: list.All(),
		DB:         db,
		Sources:    sources(srcs),
		MaxAge:     maxAge,
		PolicyFile: *config,
		NoIgnore:   *noIgnore,
	})
	if err != nil {
		return err
	}
	opts := report.Options{ToolName: "airlock", ToolVersion: toolVersion()}
	if *output == "" {
		opts.Color = f == report.Table && isTerminal(stdout) && os.Getenv("NO_COLOR") == ""
		if err := report.Write(stdout, f, res, opts); err != nil {
			return err
		}
	} else if err := writeFileAtomic(*output, func(w io.Writer) error { return report.Write(w, f, res, opts) }); err != nil {
		return err
	}
	// Notices go to standard error too when the report is not for people,
	// so that a CI log shows them.
	if f != report.Table || *output != "" {
		for _, n := range res.Notices {
			where := ""
			if n.Path != "" {
				where = n.Path + ": "
			}
			fmt.Fprintf(stderr, "%s: %s%s\n", n.Level, where, n.Message)
		}
	}
	if n := failing(res.Findings, threshold); n > 0 {
		return findingsError{n}
	}
	return nil
}

func sources(ss []vulndb.Source) []scan.Source {
	out := make([]scan.Source, 0, len(ss))
	for _, s := range ss {
		out = append(out, scan.Source{Ecosystem: s.Ecosystem, Path: s.Path, SHA256: s.SHA256, Records: s.Records,
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

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// failThreshold is the lowest rank that fails; -1 fails nothing.
type failThreshold int

// parseFailOn reads --fail-on. "any" fails on every unignored finding,
// including those whose data gives no severity (the Go database gives
// none); a severity fails on findings at or above it.
func parseFailOn(s string) (failThreshold, error) {
	switch strings.ToLower(s) {
	case "any":
		return failThreshold(finding.Unknown.Rank()), nil
	case "none", "never":
		return -1, nil
	}
	sev, ok := finding.ParseSeverity(s)
	if !ok || sev == finding.Unknown || sev == finding.Info {
		return 0, usageError{fmt.Sprintf("unknown --fail-on %q: use any, low, medium, high, critical or none", s)}
	}
	return failThreshold(sev.Rank()), nil
}

func failing(fs []finding.Finding, t failThreshold) int {
	if t < 0 {
		return 0
	}
	n := 0
	for _, f := range fs {
		// Package-risk signals inform; they do not fail a build.
		if f.Ignored == nil && f.Kind != finding.KindRisk && f.Severity.Rank() >= int(t) {
			n++
		}
	}
	return n
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
