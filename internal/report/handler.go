package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/scan"
)

// NewHandler returns a scan.Handler that writes the scan to w in format
// f. JSONL is written as the events arrive, one object per line; the
// other formats are whole documents (a table sorted by severity, a JSON
// object, a SARIF log): their handler collects the scan and writes it at
// Done, byte for byte what Write writes of the same Result. A scan that
// fails before Done leaves nothing of them written.
func NewHandler(w io.Writer, f Format, o Options) (scan.Handler, error) {
	switch f {
	case JSONL:
		return newJSONLHandler(w, o), nil
	case Table, JSON, SARIF, GitLab, GitLabSecrets, GitLabSAST, CycloneDX, Licenses:
		return &documentHandler{w: w, f: f, o: o}, nil
	}
	return nil, unknownFormat(f)
}

// documentHandler collects a scan and writes it whole when it is done.
type documentHandler struct {
	scan.Collector
	w io.Writer
	f Format
	o Options
}

func (h *documentHandler) Done(s scan.Summary) error {
	if err := h.Collector.Done(s); err != nil {
		return err
	}
	return Write(h.w, h.f, h.Result(), h.o)
}

// jsonlHandler writes each event as one JSON object on its own line, at
// once: a consumer sees findings as they arrive, and can tell a complete
// stream (its last object is "done") from a cut one. Progress is not
// written: it is for people, and its order is not deterministic.
type jsonlHandler struct {
	w   io.Writer
	o   Options
	buf bytes.Buffer
	enc *json.Encoder
}

func newJSONLHandler(w io.Writer, o Options) *jsonlHandler {
	h := &jsonlHandler{w: w, o: o}
	h.enc = json.NewEncoder(&h.buf)
	h.enc.SetEscapeHTML(false)
	return h
}

// The objects of a JSONL stream: "type" first, then the fields of the
// event, the same as in the JSON report (docs/cli.md).
type (
	jsonlConfig struct {
		Type          string   `json:"type"`
		SchemaVersion string   `json:"schema_version"`
		Tool          jsonTool `json:"tool"`
		scan.ScanConfig
	}
	jsonlNotice struct {
		Type string `json:"type"`
		scan.Notice
	}
	jsonlManifest struct {
		Type string `json:"type"`
		scan.Manifest
	}
	jsonlFinding struct {
		Type string `json:"type"`
		finding.Finding
	}
	jsonlDone struct {
		Type string `json:"type"`
		scan.Summary
	}
)

// line writes v and its newline in one write.
func (h *jsonlHandler) line(v any) error {
	h.buf.Reset()
	if err := h.enc.Encode(v); err != nil {
		return fmt.Errorf("report: write jsonl: %w", err)
	}
	if _, err := h.w.Write(h.buf.Bytes()); err != nil {
		return fmt.Errorf("report: write jsonl: %w", err)
	}
	return nil
}

func (h *jsonlHandler) Config(c scan.ScanConfig) error {
	if c.Database == nil {
		c.Database = []scan.Source{}
	}
	return h.line(jsonlConfig{Type: "config", SchemaVersion: JSONSchemaVersion,
		Tool: jsonTool{Name: toolName(h.o), Version: toolVersion(h.o)}, ScanConfig: c})
}

func (h *jsonlHandler) Progress(scan.Progress) error { return nil }

func (h *jsonlHandler) Notice(n scan.Notice) error {
	return h.line(jsonlNotice{Type: "notice", Notice: n})
}

func (h *jsonlHandler) Manifest(m scan.Manifest) error {
	if m.Packages == nil {
		m.Packages = []inventory.Package{}
	}
	return h.line(jsonlManifest{Type: "manifest", Manifest: m})
}

func (h *jsonlHandler) Finding(f finding.Finding) error {
	return h.line(jsonlFinding{Type: "finding", Finding: f})
}

func (h *jsonlHandler) Done(s scan.Summary) error {
	return h.line(jsonlDone{Type: "done", Summary: s})
}
