package fix

import (
	"encoding/json"
	"os"
	"path/filepath"
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
