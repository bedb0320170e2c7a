package fix

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzAddOverrides: whatever package.json text it is given, addOverrides
// returns an error or valid JSON whose "overrides" hold the new entries,
// with every other member unchanged. Seeds: testdata/*/package.json.
func FuzzAddOverrides(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "package.json"))
	if len(files) == 0 {
		f.Fatal("no seeds in testdata/*/package.json")
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"overrides": {}}`))
	f.Add([]byte(`{"a": 1, "overrides": {"x": "1"}}`))
	f.Add([]byte(`{"description": "\"overrides\": {", "overrides": {"x": "1"}}`))
	cs := []Change{{Name: "lodash", To: "4.17.21"}}
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := addOverrides(b, cs)
		if err != nil {
			return
		}
		var before, after map[string]json.RawMessage
		if json.Unmarshal(b, &before) != nil {
			t.Fatalf("accepted invalid JSON %q", b)
		}
		if err := json.Unmarshal(out, &after); err != nil {
			t.Fatalf("wrote invalid JSON: %v\n%s\nfrom\n%s", err, out, b)
		}
		var ov map[string]string
		if json.Unmarshal(after["overrides"], &ov) != nil || ov["lodash"] != "4.17.21" {
			t.Fatalf("overrides %s", after["overrides"])
		}
		for k, v := range before {
			if k == "overrides" {
				continue
			}
			var x, y any
			json.Unmarshal(v, &x)
			json.Unmarshal(after[k], &y)
			if string(mustJSON(x)) != string(mustJSON(y)) {
				t.Fatalf("member %s changed: %s → %s", k, v, after[k])
			}
		}
	})
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

// FuzzHashEdits: whatever requirements text and offset, hashEdits gives
// edits that apply (inside the file, not overlapping, reading what they
// say) and leave no old sha256 option of that requirement, or says why
// not. Seeds: testdata/requirements-*/requirements.txt.
func FuzzHashEdits(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "requirements-*", "requirements.txt"))
	if len(files) == 0 {
		f.Fatal("no seeds in testdata/requirements-*/requirements.txt")
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, 0)
		f.Add(b, len(b)/2)
	}
	const h = "feedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedface"
	f.Fuzz(func(t *testing.T, b []byte, i int) {
		if i < 0 || i > len(b) {
			return
		}
		es, why := hashEdits(b, i, []string{h, h})
		if why != "" {
			return
		}
		out, err := applySpans(b, es)
		if err != nil {
			t.Fatalf("edits do not apply: %v\n%q", err, b)
		}
		start, _ := requirementLines(b, i)
		if n := strings.Count(string(out[start:]), h); n < 2 {
			t.Fatalf("%d new hashes in %q", n, out)
		}
	})
}
