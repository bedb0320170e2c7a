package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Synthetic credentials in the vendors' formats; not real.
const (
	fakeGitHubPAT = "ghp_Q7rT2xK9mB4vN8cL1zP6wS3dF5gH0jYuE2aR"
	fakeAWSKeyID  = "AKIAZ7QF4TRW2MKX9BVN"
)

// gitRepo makes a repository in which a secret is committed, then deleted,
// and a second file keeps another secret in the working tree.
func gitRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=Dev One", "-c", "user.email=dev@example.com", "-c", "init.defaultBranch=main"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_DATE=2024-05-01T10:00:00Z", "GIT_COMMITTER_DATE=2024-05-01T10:00:00Z")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	os.WriteFile(filepath.Join(dir, "deploy.sh"), []byte("#!/bin/sh\nexport GITHUB_TOKEN="+fakeGitHubPAT+"\n./release.sh\n"), 0o644)
	git("add", "-A")
	git("commit", "-q", "-m", "add deploy script")
	os.WriteFile(filepath.Join(dir, "deploy.sh"), []byte("#!/bin/sh\n./release.sh\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "settings.py"), []byte("AWS_REGION = 'eu-west-1'\nAWS_ACCESS_KEY_ID = '"+fakeAWSKeyID+"'\n"), 0o644)
	git("add", "-A")
	git("commit", "-q", "-m", "remove token")
	return dir
}

type jsonReport struct {
	Findings []struct {
		Kind, ID, Evidence, Fingerprint string
		Location                        struct {
			Path      string
			StartLine int `json:"start_line"`
			Commit    string
		}
		History *struct {
			First   struct{ SHA, Author string }
			Commits int
		}
		Ignored *struct{ Reason string }
	}
}

func scanJSON(t *testing.T, args ...string) (jsonReport, result) {
	t.Helper()
	r := airlock(t, filepath.Join(t.TempDir(), "none.db"), append([]string{"scan", "--format", "json"}, args...)...)
	var rep jsonReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("exit %d: %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
	}
	return rep, r
}

func TestSecretsTreeAndHistory(t *testing.T) {
	dir := gitRepo(t)
	rep, r := scanJSON(t, "--scanners", "secret", "--history", dir)
	if r.code != exitFindings {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var pat, aws bool
	for _, f := range rep.Findings {
		if f.Kind != "secret" {
			t.Errorf("unexpected %s finding %s", f.Kind, f.ID)
		}
		switch {
		case f.Location.Path == "deploy.sh" && strings.Contains(f.ID, "github"):
			// Deleted from the tree, still in history.
			pat = f.History != nil && f.History.First.Author == "Dev One" && f.Location.Commit != "" && f.Location.StartLine == 2
		case f.Location.Path == "settings.py" && strings.Contains(f.ID, "aws"):
			// In the tree and in history: one finding with both.
			aws = f.History != nil && f.History.Commits == 1 && f.Location.StartLine == 2
		}
	}
	if !pat || !aws {
		t.Errorf("deleted GitHub token found with history: %v; AWS key in tree with history: %v\n%s", pat, aws, r.stdout)
	}
	// Without --history the deleted token is not seen.
	rep, _ = scanJSON(t, "--scanners", "secret", dir)
	for _, f := range rep.Findings {
		if f.Location.Path == "deploy.sh" {
			t.Errorf("tree scan reports the deleted file: %+v", f)
		}
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	dir := gitRepo(t)
	db := filepath.Join(t.TempDir(), "none.db")
	for _, f := range []string{"table", "json", "sarif", "gitlab", "gitlab-secrets", "cyclonedx"} {
		r := airlock(t, db, "scan", "--scanners", "secret", "--history", "--format", f, dir)
		for _, s := range []string{fakeGitHubPAT, fakeAWSKeyID, fakeGitHubPAT[:12], fakeAWSKeyID[4:]} {
			if strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s) {
				t.Errorf("--format %s printed %q", f, s)
			}
		}
	}
}

func TestSecretsSuppression(t *testing.T) {
	dir := gitRepo(t)
	rep, _ := scanJSON(t, "--scanners", "secret", dir)
	if len(rep.Findings) == 0 {
		t.Fatal("no findings to suppress")
	}
	// A baseline of this report leaves everything out.
	base := filepath.Join(t.TempDir(), "base.json")
	r := airlock(t, filepath.Join(t.TempDir(), "none.db"), "scan", "--scanners", "secret", "--format", "json", "--output", base, dir)
	if r.code != exitFindings {
		t.Fatalf("baseline run: exit %d", r.code)
	}
	if rep2, r2 := scanJSON(t, "--scanners", "secret", "--baseline", base, dir); len(rep2.Findings) != 0 || r2.code != 0 {
		t.Errorf("with baseline: exit %d, %d findings", r2.code, len(rep2.Findings))
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"nofindings": true}`), 0o644)
	if r := airlock(t, filepath.Join(t.TempDir(), "none.db"), "scan", "--scanners", "secret", "--baseline", bad, dir); r.code != exitError || !strings.Contains(r.stderr, `"findings"`) {
		t.Errorf("bad baseline: exit %d, %q", r.code, r.stderr)
	}
	// .gitleaksignore in gitleaks' path:rule:line form, and by fingerprint.
	var lines []string
	for i, f := range rep.Findings {
		if i%2 == 0 {
			lines = append(lines, f.Location.Path+":"+f.ID+":"+itoa(f.Location.StartLine))
		} else {
			lines = append(lines, f.Fingerprint)
		}
	}
	os.WriteFile(filepath.Join(dir, ".gitleaksignore"), []byte("# known\n"+strings.Join(lines, "\n")+"\n"), 0o644)
	rep3, r3 := scanJSON(t, "--scanners", "secret", dir)
	for _, f := range rep3.Findings {
		if f.Ignored == nil {
			t.Errorf("not suppressed by .gitleaksignore: %+v", f)
		}
	}
	if r3.code != 0 {
		t.Errorf("all suppressed: exit %d", r3.code)
	}
}

func TestSecretsUserConfig(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "app.cfg"), []byte("internal_key = ACME-4f9d2c7e1b8a6d3f\n"), 0o644)
	os.WriteFile(filepath.Join(dir, ".gitleaks.toml"), []byte(`
title = "site rules"
[extend]
useDefault = true
[[rules]]
id = "acme-internal-key"
description = "ACME internal service key"
regex = '''ACME-[0-9a-f]{16}'''
keywords = ["acme-"]
`), 0o644)
	rep, r := scanJSON(t, "--scanners", "secret", dir)
	found := false
	for _, f := range rep.Findings {
		found = found || f.ID == "acme-internal-key"
	}
	if !found {
		t.Errorf("the user's rule did not fire: exit %d\n%s", r.code, r.stdout)
	}
	os.WriteFile(filepath.Join(dir, ".gitleaks.toml"), []byte("[[rules]]\nid = \"x\"\nregex = '''(?<=a)b'''\n"), 0o644)
	if r := airlock(t, filepath.Join(t.TempDir(), "none.db"), "scan", "--scanners", "secret", dir); r.code != exitError || !strings.Contains(r.stderr, ".gitleaks.toml") {
		t.Errorf("bad config: exit %d, %q", r.code, r.stderr)
	}
}

func TestHistoryNeedsSecretScanner(t *testing.T) {
	if r := airlock(t, filepath.Join(t.TempDir(), "none.db"), "scan", "--scanners", "vuln", "--history", "."); r.code != exitUsage {
		t.Errorf("exit %d", r.code)
	}
	if r := airlock(t, filepath.Join(t.TempDir(), "none.db"), "scan", "--since", "HEAD~1", "."); r.code != exitUsage {
		t.Errorf("--since without --history: exit %d", r.code)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
