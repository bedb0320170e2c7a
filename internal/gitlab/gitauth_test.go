package gitlab

import (
	"context"
	"encoding/base64"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
)

func TestGitAuthEnv(t *testing.T) {
	basic := func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		base  string
		token string
		kind  TokenKind
		want  []string
	}{
		{"https://gitlab.example.com", "glpat-x", TokenPersonal, []string{
			"GIT_CONFIG_COUNT=1",
			"GIT_CONFIG_KEY_0=http.https://gitlab.example.com/.extraHeader",
			"GIT_CONFIG_VALUE_0=Authorization: " + basic("airlock:glpat-x"),
		}},
		{"https://example.com/gitlab", "oat", TokenOAuth, []string{
			"GIT_CONFIG_COUNT=1",
			"GIT_CONFIG_KEY_0=http.https://example.com/gitlab/.extraHeader",
			"GIT_CONFIG_VALUE_0=Authorization: " + basic("oauth2:oat"),
		}},
	}
	for _, tt := range tests {
		u, err := ParseInstanceURL(tt.base)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, GitAuthEnv(u, tt.token, tt.kind)); diff != "" {
			t.Errorf("GitAuthEnv(%s) (-want +got):\n%s", tt.base, diff)
		}
	}
}

// TestGitAuthEnvClone clones a private project with real git: with the
// entries it works, without them it does not, and the token is nowhere in
// the clone's configuration.
func TestGitAuthEnvClone(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	f := newFixture(t)
	p := f.srv.AddProject(gitlabtest.Project{Path: "team/app", Members: map[int]gitlabtest.AccessLevel{f.user.ID: gitlabtest.Reporter}})
	f.srv.InitRepo(p, map[string]string{"README.md": "hello\n"})
	oauth := f.srv.AddToken(gitlabtest.Token{UserID: f.user.ID, Value: testOAuthToken, OAuth: true, Scopes: []string{"read_repository"}})

	var project Project
	c := newClient(t, f.srv.URL, f.token)
	if err := c.Projects(context.Background(), func(p Project) error { project = p; return nil }); err != nil {
		t.Fatal(err)
	}

	home := t.TempDir()
	clone := func(auth []string) (string, error) {
		dir := filepath.Join(t.TempDir(), "app")
		cmd := exec.Command("git", "clone", "--quiet", project.HTTPURLToRepo, dir)
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1"}, auth...)
		out, err := cmd.CombinedOutput()
		if strings.Contains(strings.Join(cmd.Args, " "), f.token) {
			t.Errorf("argv %q holds the token", cmd.Args)
		}
		if err != nil {
			return string(out), err
		}
		b, err := os.ReadFile(filepath.Join(dir, "README.md"))
		if err != nil || string(b) != "hello\n" {
			t.Errorf("README.md = %q, %v", b, err)
		}
		cfg, _ := os.ReadFile(filepath.Join(dir, ".git", "config"))
		for _, tok := range []string{f.token, testOAuthToken, base64.StdEncoding.EncodeToString([]byte("airlock:" + f.token))} {
			if strings.Contains(string(cfg), tok) {
				t.Errorf(".git/config holds the token:\n%s", cfg)
			}
		}
		return string(out), nil
	}

	if out, err := clone(c.GitAuthEnv()); err != nil {
		t.Fatalf("clone with a personal token: %v\n%s", err, out)
	}
	base, _ := url.Parse(f.srv.URL)
	if out, err := clone(GitAuthEnv(base, oauth.Value, TokenOAuth)); err != nil {
		t.Fatalf("clone with an OAuth token: %v\n%s", err, out)
	}
	if _, err := clone(nil); err == nil {
		t.Error("clone without credentials succeeded")
	}
	// The header is scoped to the instance: for another URL git sends
	// nothing.
	other, _ := url.Parse("http://gitlab.other.example")
	if _, err := clone(GitAuthEnv(other, f.token, TokenPersonal)); err == nil {
		t.Error("clone with credentials for another host succeeded")
	}
}
