package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/airlock-sec/airlock/internal/scan"
)

// writeLicenses writes every package's license as CSV, for legal review:
// one row per package and manifest (the repository's own license files
// first, with no ecosystem).
func writeLicenses(w io.Writer, r *scan.Result) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"ecosystem", "name", "version", "license", "declared", "source", "confidence", "status", "manifest", "evidence", "purl"})
	for _, l := range r.Licenses {
		if err := cw.Write([]string{l.Ecosystem, l.Name, l.Version, l.License, l.Declared, l.Source,
			strconv.FormatFloat(l.Confidence, 'f', 2, 64), l.Status, l.Path, l.Evidence, l.PURL}); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("licenses: %w", err)
	}
	return nil
}
