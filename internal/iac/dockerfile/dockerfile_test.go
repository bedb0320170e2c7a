package dockerfile

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/airlock-sec/airlock/internal/iac"
)

// TestShape: stages with their base image (global ARGs expanded, a
// stage named by an earlier one marked), instructions with their lines,
// and the index locating each.
func TestShape(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "seeds", "multistage.Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Parse("multistage.Dockerfile", b)
	if err != nil {
		t.Fatal(err)
	}
	stages := d.Value.(map[string]any)["stages"].([]any)
	from := stages[0].(map[string]any)["from"].(map[string]any)
	want := map[string]any{"image": "alpine:3.20", "name": "alpine", "tag": "3.20", "digest": "", "platform": "$BUILDPLATFORM", "stage": false, "line": 2}
	if diff := cmp.Diff(want, from); diff != "" {
		t.Errorf("from (-want +got):\n%s", diff)
	}
	if s := stages[1].(map[string]any)["from"].(map[string]any)["stage"]; s != true {
		t.Errorf("scratch: stage = %v", s)
	}
	run := stages[0].(map[string]any)["commands"].([]any)[0].(map[string]any)
	if run["cmd"] != "run" || len(run["heredocs"].([]any)) != 1 {
		t.Errorf("heredoc RUN: %+v", run)
	}
	for _, c := range []struct {
		path []any
		want iac.Node
	}{
		{[]any{"stages", 0, "commands", 0}, iac.Node{Path: "multistage.Dockerfile", Start: 3, End: 6, Resource: "stage build"}},
		{[]any{"stages", 1, "commands", 1, "value"}, iac.Node{Path: "multistage.Dockerfile", Start: 9, End: 9, Resource: "stage 1"}},
		{[]any{"stages", 1}, iac.Node{Path: "multistage.Dockerfile", Start: 7, End: 7, Resource: "stage 1"}},
		{[]any{"global", 0}, iac.Node{Path: "multistage.Dockerfile", Start: 1, End: 1}},
		{[]any{"nothing"}, iac.Node{Path: "multistage.Dockerfile", Start: 7, End: 7}},
	} {
		if diff := cmp.Diff(c.want, d.Locate(c.path)); diff != "" {
			t.Errorf("Locate(%v) (-want +got):\n%s", c.path, diff)
		}
	}
}

// FuzzParse: any input is a document or an error, never a panic, and a
// document's every located line lies within the file.
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
		docs, probs := New().Parse(context.Background(), &iac.Input{Files: []iac.File{{Path: "Dockerfile", Content: b}}})
		if len(docs)+len(probs) != 1 {
			t.Fatalf("%d documents and %d problems for one file", len(docs), len(probs))
		}
		for _, d := range docs {
			for k, n := range d.Index {
				if n.Start < 1 || n.End < n.Start {
					t.Errorf("%q: lines %d-%d", k, n.Start, n.End)
				}
			}
		}
	})
}
