package gitlabtest

import (
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestStandalone: a stand-in started outside a test serves the API and
// git like one from New, turns setup mistakes into errors, and removes
// its repositories on Close.
func TestStandalone(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	var log strings.Builder
	s, err := Standalone(&log)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			s.Close()
		}
	}()
	var p *Project
	err = s.Setup(func() {
		u := s.AddUser(User{Username: "bot"})
		s.AddToken(Token{Value: "glpat-standalone-0000000000", UserID: u.ID, Scopes: []string{ScopeAPI}})
		p = s.AddProject(Project{Path: "demo/app", Members: map[int]AccessLevel{u.ID: Maintainer}})
		s.InitRepo(p, map[string]string{"README.md": "hello\n"})
	})
	if err != nil {
		t.Fatal(err)
	}

	req, _ := http.NewRequest(http.MethodGet, s.URL+"/api/v4/projects?membership=true", nil)
	req.Header.Set("PRIVATE-TOKEN", "glpat-standalone-0000000000")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("projects: %d", resp.StatusCode)
	}
	work := t.TempDir()
	if out, err := gitCmd(t, work, "bot", "glpat-standalone-0000000000", "clone", "-q", s.URL+"/demo/app.git", "app"); err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	if b, err := os.ReadFile(filepath.Join(work, "app", "README.md")); err != nil || string(b) != "hello\n" {
		t.Fatalf("cloned README.md: %q %v", b, err)
	}

	err = s.Setup(func() { s.AddProject(Project{Path: "demo/app"}) })
	var se *SetupError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "demo/app already exists") {
		t.Errorf("a duplicate project: %v, want a SetupError naming it", err)
	}

	s.Close()
	closed = true
	s.Close() // a second Close does nothing
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("Close left %d entries in TMPDIR: %v", len(left), left)
	}
	if _, err := http.Get(s.URL + "/api/v4/version"); err == nil {
		t.Error("the stand-in still answers after Close")
	}
}

// TestSetupPassesOtherPanics: Setup converts only the stand-in's own
// failures; any other panic goes on.
func TestSetupPassesOtherPanics(t *testing.T) {
	s := New(t)
	defer func() {
		if r := recover(); r != "boom" {
			t.Errorf("recovered %v, want the original panic", r)
		}
	}()
	s.Setup(func() { panic("boom") })
	t.Error("Setup returned after a foreign panic")
}
