package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/airlock-sec/airlock/internal/analyzer/depvuln"
	"github.com/airlock-sec/airlock/internal/bundle"
	"github.com/airlock-sec/airlock/internal/vulndb"
)

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func cmdDBImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("airlock db import", flag.ContinueOnError)
	dbPath := fs.String("db", defaultDB(), "vulnerability database file (env AIRLOCK_DB)")
	force := fs.Bool("force", false, "let an all.zip replace its earlier copy even when older or with fewer than half the records")
	verbose := fs.Bool("v", false, "list every skipped entry")
	origin := fs.String("origin", "", "name the source instead of deriving it from the path (for media laid out by date: 2026-12/PyPI/all.zip); one PATH only")
	trusted := fs.String("trusted-keys", "", "for a signed bundle: a .pub file or a directory of them (env AIRLOCK_TRUSTED_KEYS, config trusted_keys)")
	allowDowngrade := fs.Bool("allow-downgrade", false, "for a signed bundle: apply it even when it is older than one imported from the same signer and source")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: airlock db import [flags] PATH...\n\nImports OSV all.zip files, directories of OSV JSON files and single records, in one transaction.\nEach is a source named by its origin (osv/PyPI/all.zip); sources coexist. An all.zip\nreplaces the earlier copy of its origin; directories and records merge.\n\nFlags:")
		fs.PrintDefaults()
	}
	paths, err := parse(fs, args, stderr)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usageError{"db import needs at least one PATH (an OSV all.zip, a directory of OSV JSON, or a JSON record)"}
	}
	var bundles int
	for _, p := range paths {
		if bundle.IsBundle(p) {
			bundles++
		}
	}
	if bundles > 0 && len(paths) > 1 {
		return usageError{"import a signed bundle on its own: one bundle FILE, without other paths"}
	}
	if bundles == 0 && (*trusted != "" || *allowDowngrade) {
		return usageError{"--trusted-keys and --allow-downgrade are for signed bundles, and no PATH is one"}
	}
	db, err := vulndb.Open(ctx, *dbPath, vulndb.Options{Create: true})
	if err != nil {
		return err
	}
	defer db.Close()
	if bundles > 0 {
		return importBundle(ctx, paths[0], *trusted, *allowDowngrade, db, stdout, stderr)
	}
	if *origin != "" && len(paths) != 1 {
		return usageError{"--origin names one source: give one PATH with it"}
	}
	opts := vulndb.ImportOptions{Force: *force, Origin: *origin}
	tty := isTerminal(stderr)
	if tty {
		opts.Progress = func(p vulndb.Progress) {
			fmt.Fprintf(stderr, "\r\x1b[Kimporting %s: %d/%d entries", p.Path, p.Done, p.Total)
		}
	}
	start := time.Now()
	reports, err := db.Import(ctx, paths, opts)
	if tty {
		fmt.Fprint(stderr, "\r\x1b[K")
	}
	if err != nil {
		return fmt.Errorf("%w (nothing was changed)", err)
	}
	printReports(stdout, reports, *verbose)
	fi, err := os.Stat(*dbPath)
	if err == nil {
		fmt.Fprintf(stdout, "database %s: %.1f MB, import took %s\n", *dbPath, float64(fi.Size())/1e6, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// printReports prints what an import did with each path.
func printReports(stdout io.Writer, reports []vulndb.FileReport, verbose bool) {
	for _, r := range reports {
		s := r.Source
		switch r.Status {
		case vulndb.StatusUnchanged:
			fmt.Fprintf(stdout, "%s: unchanged (already imported as %s, %d records)\n", r.Path, s.Origin, s.Records)
			continue
		case vulndb.StatusImported:
			records := s.Records
			if r.Merged != nil {
				records = s.Records - r.Merged.Records
			}
			fmt.Fprintf(stdout, "%s: imported %d %s records (%d withdrawn) as %s, newest %s, sha256 %s\n",
				r.Path, records, s.Ecosystem, s.Withdrawn, s.Origin, newest(s), s.SHA256[:12])
		}
		if r.Replaced != nil {
			fmt.Fprintf(stdout, "  replaced the %d records of %s imported %s from %s\n", r.Replaced.Records, r.Replaced.Origin, r.Replaced.ImportedAt.Format(time.DateOnly), r.Replaced.Path)
		}
		if r.Merged != nil {
			fmt.Fprintf(stdout, "  merged with the %d records imported %s from %s: %d in all\n", r.Merged.Records, r.Merged.ImportedAt.Format(time.DateOnly), r.Merged.Path, s.Records)
		}
		if len(r.Skipped) > 0 {
			fmt.Fprintf(stdout, "  skipped %d entries:\n", len(r.Skipped))
			printSkips(stdout, r.Skipped, verbose)
		}
	}
}

// printSkips prints skipped entries grouped by reason (every entry with -v).
func printSkips(w io.Writer, skips []vulndb.Skip, all bool) {
	if all {
		for _, s := range skips {
			fmt.Fprintf(w, "    %s: %s\n", s.Entry, s.Reason)
		}
		return
	}
	byReason := map[string][]string{}
	for _, s := range skips {
		// Group on the reason's kind, before any detail after a colon.
		k, _, _ := strings.Cut(s.Reason, ": ")
		byReason[k] = append(byReason[k], s.Entry)
	}
	keys := make([]string, 0, len(byReason))
	for k := range byReason {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		es := byReason[k]
		ex := strings.Join(es[:min(3, len(es))], ", ")
		if len(es) > 3 {
			ex += ", ..."
		}
		fmt.Fprintf(w, "    %d × %s (%s)\n", len(es), k, ex)
	}
}

func dateOrUnknown(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.Format(time.DateOnly)
}

// newest is a source's newest date, marked when it is the import time
// because no record says when it last changed.
func newest(s vulndb.Source) string {
	if s.DatedBy == "import" {
		return dateOrUnknown(s.NewestModified) + "*"
	}
	return dateOrUnknown(s.NewestModified)
}

const importDatedNote = "* no record has a modified time: the data is dated by its import"

func cmdDBStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("airlock db status", flag.ContinueOnError)
	dbPath := fs.String("db", defaultDB(), "vulnerability database file (env AIRLOCK_DB)")
	maxAge, err := defaultMaxAge()
	if err != nil {
		return err
	}
	fs.Var(ageFlag{&maxAge}, "max-age", "warn when data is older than this (7d, 36h; env AIRLOCK_DB_MAX_AGE)")
	format := fs.String("format", "table", "output format: table or json")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: airlock db status [flags]\n\nFlags:")
		fs.PrintDefaults()
	}
	if pos, err := parse(fs, args, stderr); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageError{"db status takes no arguments"}
	}
	if *format != "table" && *format != "json" {
		return usageError{fmt.Sprintf("unknown --format %q: use table or json", *format)}
	}
	db, err := vulndb.Open(ctx, *dbPath, vulndb.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer db.Close()
	sources, err := db.Sources(ctx)
	if err != nil {
		return err
	}
	distinct, err := db.Distinct(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	type status struct {
		Database string          `json:"database"`
		Sources  []vulndb.Source `json:"sources"`
		// Distinct counts record ids once however many sources hold them.
		Distinct int `json:"distinct_records"`
		// Stale lists the origins older than --max-age.
		Stale []string `json:"stale,omitempty"`
	}
	st := status{Database: *dbPath, Sources: sources, Distinct: distinct}
	if st.Sources == nil {
		st.Sources = []vulndb.Source{}
	}
	for _, s := range sources {
		if maxAge > 0 && !s.NewestModified.IsZero() && now.Sub(s.NewestModified) > maxAge {
			st.Stale = append(st.Stale, s.Origin)
		}
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	fmt.Fprintf(stdout, "database: %s\n", *dbPath)
	if len(sources) == 0 {
		fmt.Fprintln(stdout, "no data imported: run 'airlock db import PATH' with an OSV all.zip")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ECOSYSTEM\tORIGIN\tRECORDS\tWITHDRAWN\tSKIPPED\tNEWEST\tAGE\tIMPORTED\tPATH")
	byImport := false
	for _, s := range sources {
		age := "unknown"
		if !s.NewestModified.IsZero() {
			age = depvuln.Age(now.Sub(s.NewestModified))
			if maxAge > 0 && now.Sub(s.NewestModified) > maxAge {
				age += " (stale)"
			}
		}
		byImport = byImport || s.DatedBy == "import"
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\n", s.Ecosystem, s.Origin, s.Records, s.Withdrawn, s.Skipped,
			newest(s), age, s.ImportedAt.Format("2006-01-02 15:04"), s.Path)
	}
	tw.Flush()
	fmt.Fprintf(stdout, "%d distinct records in %d sources\n", distinct, len(sources))
	if byImport {
		fmt.Fprintln(stdout, importDatedNote)
	}
	if len(st.Stale) > 0 {
		fmt.Fprintf(stdout, "warning: %s data is older than %s; scans still run, import newer data when you can\n",
			strings.Join(st.Stale, ", "), ageFlag{&maxAge})
	}
	return nil
}
