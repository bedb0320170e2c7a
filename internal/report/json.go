package report

import (
	"io"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/scan"
)

// JSONSchemaVersion is the version of the JSON report's documented shape
// (docs/report-json.md). It changes only when a field is removed or changes
// meaning; added fields keep it.
const JSONSchemaVersion = "1"

// jsonReport is the canonical report: the scan result's fields at the top
// level, after a schema version and the tool that wrote it.
type jsonReport struct {
	SchemaVersion string   `json:"schema_version"`
	Tool          jsonTool `json:"tool"`
	*scan.Result
}

type jsonTool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// writeJSON writes the result as indented JSON. Lists are written as empty
// arrays rather than null so readers need not tell the two apart.
func writeJSON(w io.Writer, r *scan.Result, o Options) error {
	res := *r
	res.Manifests = make([]scan.Manifest, len(r.Manifests))
	for i, m := range r.Manifests {
		if m.Packages == nil {
			m.Packages = []inventory.Package{}
		}
		res.Manifests[i] = m
	}
	if res.Findings == nil {
		res.Findings = []finding.Finding{}
	}
	if res.Database == nil {
		res.Database = []scan.Source{}
	}
	// The findings, most of a large report, are encoded in place of an
	// empty list (writeIndentedJSONArray).
	findings := res.Findings
	res.Findings = []finding.Finding{}
	return writeIndentedJSONArray(w, jsonReport{
		SchemaVersion: JSONSchemaVersion,
		Tool:          jsonTool{Name: toolName(o), Version: toolVersion(o)},
		Result:        &res,
	}, "findings", findings)
}
