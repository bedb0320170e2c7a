package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// indentSeeds are compact JSON values with the cases indentJSON must get
// right: empty containers, escaped quotes and backslashes, brackets and
// punctuation inside strings, nesting.
var indentSeeds = []string{
	`{}`, `[]`, `""`, `0`, `null`,
	`{"a":[],"b":{},"c":[{}],"d":[[]]}`,
	`{"s":"a \"quoted\" {[,:]} \\","t":"\\\\","u":"\u00e9\n"}`,
	`[1,-2.5e10,true,false,null,"x",{"k":[1,{"l":{}}]}]`,
	`{"":""}`,
}

func checkIndent(t *testing.T, compact []byte) {
	t.Helper()
	var want bytes.Buffer
	if err := json.Indent(&want, compact, "", "  "); err != nil {
		return // not JSON: json.Marshal never writes it
	}
	if got := indentJSON(nil, compact, "  "); !bytes.Equal(got, want.Bytes()) {
		t.Errorf("indentJSON(%q):\n%s\nwant (json.Indent):\n%s", compact, got, want.Bytes())
	}
}

func TestIndentJSONMatchesIndent(t *testing.T) {
	for _, s := range indentSeeds {
		checkIndent(t, []byte(s))
	}
	// The report fixtures, compacted: real reports' shapes and strings.
	goldens, _ := filepath.Glob(filepath.Join("testdata", "*.golden"))
	n := 0
	for _, g := range goldens {
		b, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		var c bytes.Buffer
		if json.Compact(&c, b) != nil {
			continue
		}
		checkIndent(t, c.Bytes())
		n++
	}
	if n < 3 {
		t.Errorf("only %d JSON golden files found in testdata", n)
	}
}

func FuzzIndentJSON(f *testing.F) {
	for _, s := range indentSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var c bytes.Buffer
		if json.Compact(&c, b) != nil {
			return
		}
		checkIndent(t, c.Bytes())
	})
}
