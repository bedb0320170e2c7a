package compose

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/airlock-sec/airlock/internal/iac"
)

// TestShape: merge keys expanded (keys set in the service win), each
// service a resource, keys located at their lines.
func TestShape(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "seeds", "anchors.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Parse("compose.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	svcs := d.Value.(map[string]any)["services"].(map[string]any)
	if w := svcs["worker"].(map[string]any); w["image"] != "acme/app:1.0.0" || w["read_only"] != false {
		t.Errorf("worker = %v", w)
	}
	for _, c := range []struct {
		path []any
		want iac.Node
	}{
		{[]any{"services", "api", "ports", 0}, iac.Node{Path: "compose.yaml", Start: 7, End: 7, Resource: "service api"}},
		{[]any{"services", "worker", "read_only"}, iac.Node{Path: "compose.yaml", Start: 10, End: 10, Resource: "service worker"}},
		{[]any{"services", "api", "image"}, iac.Node{Path: "compose.yaml", Start: 6, End: 6, Resource: "service api"}},
		{[]any{"services", "api", "user"}, iac.Node{Path: "compose.yaml", Start: 5, End: 7, Resource: "service api"}},
	} {
		if diff := cmp.Diff(c.want, d.Locate(c.path)); diff != "" {
			t.Errorf("Locate(%v) (-want +got):\n%s", c.path, diff)
		}
	}
}

// TestBadInput: a YAML bomb, invalid syntax and a file that is not a
// mapping are errors naming the line; the other files are still read.
func TestBadInput(t *testing.T) {
	var bomb strings.Builder
	bomb.WriteString("a: &a [x, x, x, x, x, x, x, x, x, x]\n")
	prev := "a"
	for i := 0; i < 9; i++ {
		name := string(rune('b' + i))
		bomb.WriteString(name + ": &" + name + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n")
		prev = name
	}
	bomb.WriteString("services:\n  x:\n    image: *" + prev + "\n")
	in := &iac.Input{Files: []iac.File{
		{Path: "bomb/compose.yaml", Content: []byte(bomb.String())},
		{Path: "syntax/compose.yaml", Content: []byte("services:\n  web:\n    image: [\n")},
		{Path: "list/compose.yaml", Content: []byte("- a\n- b\n")},
		{Path: "ok/compose.yaml", Content: []byte("services:\n  web:\n    image: nginx:1.27\n")},
	}}
	docs, probs := New().Parse(context.Background(), in)
	var got []string
	for _, p := range probs {
		got = append(got, p.Path+":"+itoa(p.Line)+" "+p.Message)
	}
	want := []string{
		"bomb/compose.yaml:6 not read as a Compose file: more than 1000000 values once aliases are expanded (a YAML bomb?)",
		"syntax/compose.yaml:3 not read as a Compose file: did not find expected node content",
		"list/compose.yaml:1 not read as a Compose file: a Compose file is a mapping with services",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if len(docs) != 1 || docs[0].Path != "ok/compose.yaml" {
		t.Errorf("documents: %+v", docs)
	}
}

func itoa(n int) string {
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	if s == "" {
		return "0"
	}
	return s
}

// FuzzParse: any input is a document, nothing, or an error; never a
// panic; located lines are positive.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "seeds", "*"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		docs, _ := New().Parse(context.Background(), &iac.Input{Files: []iac.File{{Path: "compose.yaml", Content: b}}})
		for _, d := range docs {
			for k, n := range d.Index {
				if n.Start < 1 || n.End < n.Start {
					t.Errorf("%q: lines %d-%d", k, n.Start, n.End)
				}
			}
		}
	})
}
