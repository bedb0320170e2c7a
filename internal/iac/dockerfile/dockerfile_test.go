package dockerfile

import (
	"context"
	"fmt"
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

// TestFromVariables: a FROM whose variables are all global ARGs is
// expanded; one with a variable that is not (BuildKit's automatic
// TARGETOS) keeps it, and names an earlier stage when it can be one
// whatever the variable ("binaries-$TARGETOS" and binaries-linux).
func TestFromVariables(t *testing.T) {
	src := `ARG GO=1.22
ARG DEBUG
FROM golang:${GO} AS build
FROM scratch AS binaries-linux
FROM binaries-$TARGETOS AS binaries
FROM build-${TARGETOS}${DEBUG:+-debug} AS other
FROM registry.example.com/$TEAM/base
`
	d, err := Parse("Dockerfile", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range d.Value.(map[string]any)["stages"].([]any) {
		f := s.(map[string]any)["from"].(map[string]any)
		got = append(got, fmt.Sprintf("%s stage=%v", f["image"], f["stage"]))
	}
	want := []string{
		"golang:1.22 stage=false",
		"scratch stage=true",
		"binaries-$TARGETOS stage=true",
		"build-${TARGETOS}${DEBUG:+-debug} stage=false",
		"registry.example.com/$TEAM/base stage=false",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FROM images (-want +got):\n%s", diff)
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
