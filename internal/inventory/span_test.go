package inventory

import (
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestTagVersion(t *testing.T) {
	for ref, want := range map[string]string{
		"v1.2.3":      "1.2.3",
		"1.2.3":       "1.2.3",
		"v1.2.3-rc.1": "1.2.3-rc.1",
		"2.2":         "2.2",
		"1.0.0b1":     "1.0.0b1",
		"main":        "",
		"release-1.2": "",
		"v1":          "",
		"":            "",
		"0c1f2e3d4c5b6a79881726354453627180918273": "",
	} {
		if got := TagVersion(ref); got != want {
			t.Errorf("TagVersion(%q) = %q, want %q", ref, got, want)
		}
	}
}

func TestGitSource(t *testing.T) {
	tests := map[string]Source{
		"git+https://github.com/a/b?tag=v1.2.3#0123": {Type: SourceGit, URL: "https://github.com/a/b", Ref: "v1.2.3", Commit: "0123"},
		"https://github.com/a/b.git?rev=main#abc":    {Type: SourceGit, URL: "https://github.com/a/b.git", Ref: "main", Commit: "abc"},
		"git+https://github.com/a/b#abc":             {Type: SourceGit, URL: "https://github.com/a/b", Commit: "abc"},
	}
	for in, want := range tests {
		if diff := cmp.Diff(want, *GitSource(in)); diff != "" {
			t.Errorf("GitSource(%q) (-want +got):\n%s", in, diff)
		}
	}
}

func TestCheckSpans(t *testing.T) {
	fsys := fstest.MapFS{"f": &fstest.MapFile{Data: []byte("a==1.2.3\n")}}
	ok := []Package{{Name: "a", Version: "1.2.3", Location: Location{Path: "f"}, VersionSpan: &Span{3, 8}}, {Name: "b", Location: Location{Path: "g"}}}
	if err := CheckSpans(fsys, ok); err != nil {
		t.Errorf("CheckSpans: %v", err)
	}
	for _, s := range []Span{{2, 8}, {3, 20}, {5, 3}} {
		bad := []Package{{Name: "a", Version: "1.2.3", Location: Location{Path: "f"}, VersionSpan: &s}}
		if err := CheckSpans(fsys, bad); err == nil {
			t.Errorf("CheckSpans accepted the span %v", s)
		}
	}
	if SpanOf([]byte("x1.0"), 1, 4, "1.0") == nil || SpanOf([]byte("x1.0"), 0, 4, "1.0") != nil {
		t.Error("SpanOf does not check the text")
	}
}
