package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/airlock-sec/airlock/internal/scan"
)

// writeLicenses writes every package's license as CSV, for legal review:
// one row per package and manifest (the repository's own license files
// first, with no ecosystem).
func writeLicenses(w io.Writer, r *scan.Result) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"ecosystem", "name", "version", "license", "declared", "source", "confidence", "status", "manifest", "evidence", "purl"})
	for _, l := range r.Licenses {
		row := []string{l.Ecosystem, l.Name, l.Version, l.License, l.Declared, l.Source,
			strconv.FormatFloat(l.Confidence, 'f', 2, 64), l.Status, l.Path, l.Evidence, l.PURL}
		for i := range row {
			row[i] = cell(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("licenses: %w", err)
	}
	return nil
}

// cell keeps a spreadsheet from reading a value as a formula: package
// metadata is written by package authors, and this file is opened by
// people ("=HYPERLINK(...)" as a license). Such a value gets a leading
// apostrophe, as OWASP advises for CSV injection; an npm scope
// ("@types/node") is left as it is, since without parentheses or quotes
// "@" cannot call anything.
func cell(s string) string {
	switch {
	case s == "":
	case strings.ContainsRune("=+-\t\r", rune(s[0])):
		return "'" + s
	case s[0] == '@' && strings.ContainsAny(s, "(\"!"):
		return "'" + s
	}
	return s
}
