package gitlab

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseInstanceURL(t *testing.T) {
	tests := []struct {
		in      string
		want    string // "" when refused
		wantMsg string // part of the refusal
	}{
		{in: "https://gitlab.example.com", want: "https://gitlab.example.com"},
		{in: "https://gitlab.example.com/", want: "https://gitlab.example.com"},
		{in: "  https://gitlab.example.com/  ", want: "https://gitlab.example.com"},
		{in: "HTTPS://GitLab.Example.COM", want: "https://gitlab.example.com"},
		{in: "http://10.0.0.5:8080", want: "http://10.0.0.5:8080"},
		{in: "https://[fd00::1]:8443/", want: "https://[fd00::1]:8443"},
		{in: "https://example.com/gitlab", want: "https://example.com/gitlab"},
		{in: "https://example.com/gitlab/", want: "https://example.com/gitlab"},
		{in: "https://example.com/gitlab//", want: "https://example.com/gitlab"},

		{in: "", wantMsg: "empty"},
		{in: "gitlab.example.com", wantMsg: "no scheme"},
		{in: "ssh://git@gitlab.example.com/group/project.git", wantMsg: `scheme "ssh"`},
		{in: "ftp://gitlab.example.com", wantMsg: `scheme "ftp"`},
		{in: "git://gitlab.example.com", wantMsg: `scheme "git"`},
		{in: "https://user:glpat-secret@gitlab.example.com", wantMsg: "credentials"},
		{in: "https://oauth2@gitlab.example.com", wantMsg: "credentials"},
		{in: "https://gitlab.example.com?private_token=x", wantMsg: "query string"},
		{in: "https://gitlab.example.com/?", wantMsg: "query string"},
		{in: "https://gitlab.example.com/#top", wantMsg: "fragment"},
		{in: "https:///group", wantMsg: "no host"},
		{in: "https:gitlab.example.com", wantMsg: "no scheme"},
		{in: "https://gitlab.example.com/group/project", wantMsg: "group or project"},
		{in: "https://gitlab.example.com/group/sub/project/", wantMsg: "group or project"},
		{in: "https://gitlab.example.com/group/project/-/merge_requests/4", wantMsg: "/-/"},
		{in: "https://gitlab.example.com/groups/platform/-/edit", wantMsg: "/-/"},
		{in: "https://gitlab.example.com/group/project.git", wantMsg: ".git"},
		{in: "https://gitlab.example.com/project.git", wantMsg: ".git"},
		{in: "https://gitlab.example.com/api/v4", wantMsg: "/api/v4"},
		{in: "https://gitlab.example.com/api/v4/", wantMsg: "/api/v4"},
		{in: "https://example.com/gitlab/api/v4", wantMsg: "/api/v4"},
		{in: "https://gitlab.example.com/users/sign_in", wantMsg: "group or project"},
		{in: "https://gitlab.example.com/explore", wantMsg: "GitLab's pages"},
		{in: "https://gitlab.example.com/dashboard", wantMsg: "GitLab's pages"},
		{in: "https://gitlab.example.com/-", wantMsg: "/-/"},
		{in: "https://gitlab.example.com/../etc", wantMsg: "plain path"},
		{in: "https://gitlab.example.com/a/./b", wantMsg: "plain path"},
		{in: "https://gitlab.example.com:port", wantMsg: "not a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			u, err := ParseInstanceURL(tt.in)
			if tt.want != "" {
				if err != nil {
					t.Fatalf("ParseInstanceURL(%q) = %v", tt.in, err)
				}
				if diff := cmp.Diff(tt.want, u.String()); diff != "" {
					t.Errorf("ParseInstanceURL(%q) (-want +got):\n%s", tt.in, diff)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseInstanceURL(%q) = %s, want an error", tt.in, u)
			}
			e, ok := errors.AsType[*Error](err)
			if !ok || e.Code != CodeInvalidURL {
				t.Fatalf("error %v is not an *Error with code %s", err, CodeInvalidURL)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
			if !strings.Contains(err.Error(), "instance root URL") {
				t.Errorf("error %q does not say to give the root URL", err)
			}
			if strings.Contains(err.Error(), "glpat-secret") {
				t.Errorf("error %q shows the credential", err)
			}
		})
	}
}

// FuzzParseInstanceURL checks that whatever is accepted is a clean root URL
// that parses to itself again, and that nothing panics. The seeds in
// testdata/fuzz run with every go test.
func FuzzParseInstanceURL(f *testing.F) {
	for _, s := range []string{"https://gitlab.example.com", "http://h:1/gitlab/", "https://u:p@h/x?y#z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseInstanceURL(s)
		if err != nil {
			if _, ok := errors.AsType[*Error](err); !ok {
				t.Fatalf("error %v is not an *Error", err)
			}
			if strings.Contains(s, "@") && strings.Contains(err.Error(), s) {
				t.Fatalf("error %q repeats an input that may hold a credential", err)
			}
			return
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			t.Fatalf("%q: scheme %q", s, u.Scheme)
		}
		if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Host == "" {
			t.Fatalf("%q: accepted as %#v", s, u)
		}
		if strings.HasSuffix(u.Path, "/") || strings.Count(u.Path, "/") > 1 {
			t.Fatalf("%q: path %q", s, u.Path)
		}
		again, err := ParseInstanceURL(u.String())
		if err != nil {
			t.Fatalf("%q: accepted as %s, which is then refused: %v", s, u, err)
		}
		if again.String() != u.String() {
			t.Fatalf("%q: %s parses again as %s", s, u, again)
		}
	})
}
