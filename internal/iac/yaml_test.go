package iac

import (
	"reflect"
	"testing"
)

// TestBlockScalarLines: each logical line of a literal block scalar is
// located on its own line (a backslash continues a line onto the next),
// the block's key ends at its last line, and folded or single-line
// scalars get no per-line entries.
func TestBlockScalarLines(t *testing.T) {
	src := []byte(`build:
  script:
    - |
      echo start
      curl -fsSL https://get.example \
        | sh
      echo done
    - echo one
  note: >
    folded
    text
after: 1
`)
	docs, err := ParseYAML("ci.yml", src)
	if err != nil {
		t.Fatal(err)
	}
	idx := docs[0].Index
	want := map[int][2]int{0: {4, 4}, 1: {5, 6}, 2: {7, 7}}
	for i, w := range want {
		n, ok := idx[Key("build", "script", 0, i)]
		if !ok || n.Start != w[0] || n.End != w[1] {
			t.Errorf("line %d of the block: %+v (found %v), want lines %d-%d", i, n, ok, w[0], w[1])
		}
	}
	if _, ok := idx[Key("build", "script", 0, 3)]; ok {
		t.Error("the block's final newline got a line of its own")
	}
	if n := idx[Key("build", "script")]; n.Start != 2 || n.End != 8 {
		t.Errorf("script: lines %d-%d, want 2-8", n.Start, n.End)
	}
	if n := idx[Key("build", "script", 0)]; n.Start != 3 {
		t.Errorf("the block item starts at %d, want 3", n.Start)
	}
	for _, p := range [][]any{{"build", "script", 1, 0}, {"build", "note", 0}} {
		if n, ok := idx[Key(p...)]; ok {
			t.Errorf("%v has a per-line entry %+v", p, n)
		}
	}
	got := BlockLines("a\nb \\\n  c\n")
	wantLines := []BlockLine{{Text: "a", First: 0, Last: 0}, {Text: "b    c", First: 1, Last: 2}}
	if !reflect.DeepEqual(got, wantLines) {
		t.Errorf("BlockLines = %+v, want %+v", got, wantLines)
	}
}

// TestParseYAMLTagged: a kept local tag reads as a mapping of the tag to
// the plain value, located like one; without it the plain value.
func TestParseYAMLTagged(t *testing.T) {
	src := []byte("job:\n  script:\n    - echo hi\n    - !reference [.setup, script]\n")
	docs, err := ParseYAMLTagged("ci.yml", src, "!reference")
	if err != nil {
		t.Fatal(err)
	}
	script := docs[0].Value.(map[string]any)["job"].(map[string]any)["script"].([]any)
	want := map[string]any{"!reference": []any{".setup", "script"}}
	if !reflect.DeepEqual(script[1], want) {
		t.Errorf("tagged item %#v, want %#v", script[1], want)
	}
	if n := docs[0].Index[Key("job", "script", 1, "!reference")]; n.Start != 4 {
		t.Errorf("the tagged value is at line %d, want 4", n.Start)
	}
	plain, _ := ParseYAML("ci.yml", src)
	if got := plain[0].Value.(map[string]any)["job"].(map[string]any)["script"].([]any)[1]; !reflect.DeepEqual(got, []any{".setup", "script"}) {
		t.Errorf("untagged read %#v", got)
	}
}
