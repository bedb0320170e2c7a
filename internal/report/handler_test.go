package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/airlock-sec/airlock/internal/scan"
)

// TestHandlerMatchesWrite: every format written from the scan's events is
// byte for byte what Write writes of the whole Result.
func TestHandlerMatchesWrite(t *testing.T) {
	for _, r := range []*scan.Result{fixture(), emptyResult()} {
		for _, f := range Formats() {
			var buf bytes.Buffer
			h, err := NewHandler(&buf, f, testOptions)
			if err != nil {
				t.Fatal(err)
			}
			if err := scan.Replay(r, h); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if diff := cmp.Diff(string(render(t, f, r, testOptions)), buf.String()); diff != "" {
				t.Errorf("%s: handler output differs from Write (-write +handler):\n%s", f, diff)
			}
		}
	}
	if _, err := NewHandler(&bytes.Buffer{}, "html", testOptions); err == nil || !strings.Contains(err.Error(), "jsonl") {
		t.Errorf("unknown format: %v", err)
	}
}

// TestDocumentHandlerWritesAtDone: a whole document is written only when
// the scan is done, so a scan cut short leaves nothing.
func TestDocumentHandlerWritesAtDone(t *testing.T) {
	var buf bytes.Buffer
	h, err := NewHandler(&buf, JSON, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	r := fixture()
	if err := h.Config(scan.ScanConfig{Target: r.Target}); err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Findings {
		if err := h.Finding(f); err != nil {
			t.Fatal(err)
		}
	}
	if buf.Len() != 0 {
		t.Errorf("written before Done: %q", buf.String())
	}
}

// TestJSONLMatchesJSON: every line of the stream is one JSON object with a
// type; config comes first and done last; the notices, manifests and
// findings are those of the JSON report, and done counts them.
func TestJSONLMatchesJSON(t *testing.T) {
	for name, r := range map[string]*scan.Result{"fixture": fixture(), "empty": emptyResult()} {
		t.Run(name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal(render(t, JSON, r, testOptions), &doc); err != nil {
				t.Fatal(err)
			}
			got := map[string][]any{}
			var types []string
			sc := bufio.NewScanner(bytes.NewReader(render(t, JSONL, r, testOptions)))
			sc.Buffer(nil, 1<<20)
			var done map[string]any
			for n := 1; sc.Scan(); n++ {
				var obj map[string]any
				if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
					t.Fatalf("line %d is not JSON: %v\n%s", n, err, sc.Bytes())
				}
				typ, _ := obj["type"].(string)
				delete(obj, "type")
				types = append(types, typ)
				switch typ {
				case "config":
					for _, k := range []string{"schema_version", "tool", "target", "started_at", "database"} {
						if !cmp.Equal(doc[k], obj[k]) {
							t.Errorf("config %s = %v, JSON report has %v", k, obj[k], doc[k])
						}
					}
				case "notice", "manifest", "finding":
					got[typ+"s"] = append(got[typ+"s"], obj)
				case "done":
					done = obj
				default:
					t.Errorf("line %d: type %q", n, typ)
				}
			}
			if types[0] != "config" || types[len(types)-1] != "done" {
				t.Errorf("types %v: want config first and done last", types)
			}
			for _, k := range []string{"notices", "manifests", "findings"} {
				want, _ := doc[k].([]any)
				if !cmp.Equal(want, got[k], cmp.Comparer(func(a, b []any) bool { return len(a) == 0 && len(b) == 0 || cmp.Equal(a, b) })) {
					t.Errorf("%s differ from the JSON report's:\n%s", k, cmp.Diff(want, got[k]))
				}
				if n, _ := done[k].(float64); int(n) != len(want) {
					t.Errorf("done counts %v %s, the report has %d", done[k], k, len(want))
				}
			}
			if done["finished_at"] != doc["finished_at"] || int(done["incomplete"].(float64)) != r.Incomplete() {
				t.Errorf("done %v", done)
			}
		})
	}
}

type failWriter struct{}

var errFull = errors.New("no space left on device")

func (failWriter) Write([]byte) (int, error) { return 0, errFull }

// TestJSONLWriteError: a failed write is the handler's error, which stops
// a scan.
func TestJSONLWriteError(t *testing.T) {
	h, err := NewHandler(failWriter{}, JSONL, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Config(scan.ScanConfig{}); !errors.Is(err, errFull) || !strings.Contains(err.Error(), "report: write jsonl") {
		t.Errorf("error %v", err)
	}
}
