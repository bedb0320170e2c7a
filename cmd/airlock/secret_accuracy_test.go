package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The tests of this file cover secret detection's accuracy and the safety
// of the configuration a repository supplies (issue 8 items 6 and 13).

// writeFiles writes name → content under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// outsideSecretKey is a key name in a host file outside the repository:
// no error message may reveal it.
const outsideSecretKey = "db_password_of_the_host"

// hostFile writes a TOML file outside any scanned tree whose first key is
// outsideSecretKey (a parse error in it would name that key).
func hostFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "outside.toml")
	if err := os.WriteFile(p, []byte(outsideSecretKey+" = \"Zq8Lw3Xv9Rk2Yp7M\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func mkfifo(t *testing.T, p string) {
	t.Helper()
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skip("cannot make a FIFO:", err)
	}
}

func symlink(t *testing.T, target, p string) {
	t.Helper()
	if err := os.Symlink(target, p); err != nil {
		t.Skip("symbolic links not supported:", err)
	}
}

// TestRepoConfigRefused: a repository's .gitleaks.toml may only extend
// regular files inside the repository, and is itself refused when it is a
// link out of the tree. Before, /dev/zero ran the process out of memory, a
// FIFO hung it, and a host file's parse error revealed its key names.
func TestRepoConfigRefused(t *testing.T) {
	outside := hostFile(t)
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  string // in stderr
	}{
		{"extend /dev/zero", func(t *testing.T, dir string) {
			writeFiles(t, dir, map[string]string{".gitleaks.toml": "[extend]\npath = \"/dev/zero\"\n"})
		}, `[extend] path "/dev/zero"`},
		{"extend link to /dev/zero", func(t *testing.T, dir string) {
			writeFiles(t, dir, map[string]string{".gitleaks.toml": "[extend]\npath = \"zero.toml\"\n"})
			symlink(t, "/dev/zero", filepath.Join(dir, "zero.toml"))
		}, "zero.toml"},
		{"extend FIFO", func(t *testing.T, dir string) {
			writeFiles(t, dir, map[string]string{".gitleaks.toml": "[extend]\npath = \"rules/base.toml\"\n"})
			mkfifo(t, filepath.Join(dir, "rules", "base.toml"))
		}, "rules/base.toml: not a regular file"},
		{"extend outside by ..", func(t *testing.T, dir string) {
			rel, err := filepath.Rel(dir, outside)
			if err != nil {
				t.Fatal(err)
			}
			writeFiles(t, dir, map[string]string{".gitleaks.toml": "[extend]\npath = \"" + filepath.ToSlash(rel) + "\"\n"})
		}, "outside the repository"},
		{"extend outside by absolute path", func(t *testing.T, dir string) {
			writeFiles(t, dir, map[string]string{".gitleaks.toml": "[extend]\npath = \"" + filepath.ToSlash(outside) + "\"\n"})
		}, "inside the repository"},
		{"extend link out", func(t *testing.T, dir string) {
			writeFiles(t, dir, map[string]string{".gitleaks.toml": "[extend]\npath = \"base.toml\"\n"})
			symlink(t, outside, filepath.Join(dir, "base.toml"))
		}, "base.toml: outside the repository"},
		{".gitleaks.toml linked out", func(t *testing.T, dir string) {
			symlink(t, outside, filepath.Join(dir, ".gitleaks.toml"))
		}, ".gitleaks.toml: outside the repository: a symbolic link leads out of it"},
		{".gitleaks.toml a FIFO", func(t *testing.T, dir string) {
			mkfifo(t, filepath.Join(dir, ".gitleaks.toml"))
		}, ".gitleaks.toml: not a regular file"},
		{".gitleaksignore linked out", func(t *testing.T, dir string) {
			symlink(t, outside, filepath.Join(dir, ".gitleaksignore"))
		}, ".gitleaksignore: outside the repository"},
		{".gitleaksignore a FIFO", func(t *testing.T, dir string) {
			mkfifo(t, filepath.Join(dir, ".gitleaksignore"))
		}, ".gitleaksignore: not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"app.env": "GITHUB_TOKEN=" + fakeGitHubPAT + "\n"})
			tc.setup(t, dir)
			r := airlock(t, filepath.Join(t.TempDir(), "none.db"), "scan", "--scanners", "secret", dir)
			if r.code != exitError || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, want %d and %q in stderr:\n%s", r.code, exitError, tc.want, r.stderr)
			}
			// The repository's own text may be quoted; nothing of the host
			// file may.
			for _, leak := range []string{outsideSecretKey, "Zq8Lw3Xv9Rk2Yp7M"} {
				if strings.Contains(r.stderr+r.stdout, leak) {
					t.Errorf("output reveals %q:\n%s", leak, r.stderr)
				}
			}
		})
	}
}

// TestRepoConfigInside: a repository's rule set extending another file of
// the repository, in a subdirectory, still works.
func TestRepoConfigInside(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		".gitleaks.toml":   "[extend]\npath = \"ci/base.toml\"\n",
		"ci/base.toml":     "[extend]\nuseDefault = true\n[[rules]]\nid = \"acme-internal-key\"\nregex = '''ACME-[0-9a-f]{16}'''\nkeywords = [\"acme-\"]\n",
		"app.cfg":          "internal_key = ACME-4f9d2c7e1b8a6d3f\n",
		"config/linked.md": "",
	})
	rep, r := scanJSON(t, "--scanners", "secret", dir)
	ids := map[string]bool{}
	for _, f := range rep.Findings {
		ids[f.ID] = true
	}
	if r.code != exitFindings || !ids["acme-internal-key"] {
		t.Errorf("exit %d, findings %v\n%s", r.code, ids, r.stderr)
	}
}

// TestOperatorConfigBounded: --secret-config is the operator's own file and
// may extend a host file, but never a device or a FIFO.
func TestOperatorConfigBounded(t *testing.T) {
	host := t.TempDir()
	fifo := filepath.Join(host, "fifo.toml")
	mkfifo(t, fifo)
	base := filepath.Join(host, "base.toml")
	writeFiles(t, host, map[string]string{"base.toml": "[extend]\nuseDefault = true\n"})
	target := t.TempDir()
	writeFiles(t, target, map[string]string{"app.env": "GITHUB_TOKEN=" + fakeGitHubPAT + "\n"})
	for _, ext := range []string{"/dev/zero", fifo} {
		cfg := filepath.Join(t.TempDir(), "rules.toml")
		os.WriteFile(cfg, []byte("[extend]\npath = \""+ext+"\"\n"), 0o644)
		r := airlock(t, filepath.Join(t.TempDir(), "none.db"), "scan", "--scanners", "secret", "--secret-config", cfg, target)
		if r.code != exitError || !strings.Contains(r.stderr, "not a regular file") {
			t.Errorf("extend %s: exit %d, %q", ext, r.code, r.stderr)
		}
	}
	cfg := filepath.Join(t.TempDir(), "rules.toml")
	os.WriteFile(cfg, []byte("[extend]\npath = \""+base+"\"\n"), 0o644)
	if rep, r := scanJSON(t, "--scanners", "secret", "--secret-config", cfg, target); r.code != exitFindings || len(rep.Findings) != 1 {
		t.Errorf("host extend: exit %d, %d findings\n%s", r.code, len(rep.Findings), r.stderr)
	}
}

// accFinding is a JSON finding with the fields these tests look at.
type accFinding struct {
	Kind, ID, Evidence, Fingerprint string
	Location                        struct {
		Path        string
		StartLine   int `json:"start_line"`
		StartColumn int `json:"start_column"`
		Commit      string
	}
	History *struct {
		First struct {
			SHA, Author, Email string
			Date               string
		}
		Commits int
	}
}

// secretFindings runs a secret scan with --format json and returns its
// findings.
func secretFindings(t *testing.T, args ...string) ([]accFinding, result) {
	t.Helper()
	r := airlock(t, filepath.Join(t.TempDir(), "none.db"), append([]string{"scan", "--scanners", "secret", "--format", "json"}, args...)...)
	var rep struct{ Findings []accFinding }
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("exit %d: %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
	}
	return rep.Findings, r
}

// fakeStripeKey is a synthetic live Stripe secret key; not real.
const fakeStripeKey = "sk_live_51Hx7QmK3vT9pL2wR8nY4cZ6bD1fG5hJ0kM"

// TestSecretsMinifiedBundle: a 1 MiB minified bundle (once skipped over
// 256 KiB) is scanned and its key reported at line 1 with its column.
func TestSecretsMinifiedBundle(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := 0; b.Len() < 1<<20; i++ {
		fmt.Fprintf(&b, `var t%d=function(e){return e.token||fetch("/api/%d")};`, i, i)
	}
	col := b.Len() + len(`var cfg={stripe:"`) + 1
	b.WriteString(`var cfg={stripe:"` + fakeStripeKey + `"};`)
	writeFiles(t, dir, map[string]string{"dist/app.min.js": b.String(), "dist/app.js.map": `{"mappings":"` + strings.Repeat("AAAA,", 70000) + `"}`})
	fs, r := secretFindings(t, dir)
	if r.code != exitFindings || len(fs) != 1 {
		t.Fatalf("exit %d, findings %+v\n%s", r.code, fs, r.stderr)
	}
	l := fs[0].Location
	if fs[0].ID != "stripe-live-secret-key" || l.Path != "dist/app.min.js" || l.StartLine != 1 || l.StartColumn != col {
		t.Errorf("got %s at %s:%d:%d, want stripe-live-secret-key at dist/app.min.js:1:%d", fs[0].ID, l.Path, l.StartLine, l.StartColumn, col)
	}
	if len(fs[0].Evidence) > 200 || strings.Contains(fs[0].Evidence, fakeStripeKey[8:]) {
		t.Errorf("evidence %q", fs[0].Evidence)
	}
}

// gitIn runs git in dir as author "Dev One" at the given date.
func gitIn(t *testing.T, dir, date string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=Dev One", "-c", "user.email=dev@example.com", "-c", "init.defaultBranch=main"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// TestSecretsMovedFileKeepsHistory: a secret in a file later moved with
// git mv keeps its commit, author and date (before, the tree's finding at
// the new path had none and the old path was reported apart).
func TestSecretsMovedFileKeepsHistory(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	gitIn(t, dir, "2024-05-01T10:00:00Z", "init", "-q")
	writeFiles(t, dir, map[string]string{"config/deploy.sh": "#!/bin/sh\nexport GITHUB_TOKEN=" + fakeGitHubPAT + "\n./release.sh\n"})
	gitIn(t, dir, "2024-05-01T10:00:00Z", "add", "-A")
	gitIn(t, dir, "2024-05-01T10:00:00Z", "commit", "-q", "-m", "add")
	gitIn(t, dir, "2024-06-01T10:00:00Z", "mv", "config", "scripts")
	gitIn(t, dir, "2024-06-01T10:00:00Z", "commit", "-q", "-m", "move")
	fs, r := secretFindings(t, "--history", dir)
	if r.code != exitFindings || len(fs) != 1 {
		t.Fatalf("exit %d, findings %+v\n%s", r.code, fs, r.stderr)
	}
	f := fs[0]
	if f.Location.Path != "scripts/deploy.sh" || f.Location.StartLine != 2 || f.History == nil ||
		f.History.First.Author != "Dev One" || !strings.HasPrefix(f.History.First.Date, "2024-05-01") {
		t.Errorf("finding %+v, history %+v", f.Location, f.History)
	}
}

// TestSecretsSameTwice: the same secret twice in one file is two findings,
// with their own lines and fingerprints.
func TestSecretsSameTwice(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"ci.env": "GITHUB_TOKEN=" + fakeGitHubPAT + "\nOTHER=1\nGH_TOKEN=" + fakeGitHubPAT + "\n"})
	fs, r := secretFindings(t, dir)
	if r.code != exitFindings || len(fs) != 2 {
		t.Fatalf("exit %d, findings %+v", r.code, fs)
	}
	if fs[0].Location.StartLine == fs[1].Location.StartLine || fs[0].Fingerprint == fs[1].Fingerprint {
		t.Errorf("findings %+v", fs)
	}
}

// TestSecretsAccuracy: generic names that were missed, a Kubernetes
// Secret's base64 data, and placeholders that were reported.
func TestSecretsAccuracy(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"app.env":         "SIGNING_KEY=Vq7rT2xK9mB4vN8cL1zP6wS3\nencryption_key=h8Jd2Kq9Lm4Np7Rs1Tv6Wx3Yz\nHMAC_KEY=b7F2kP9qL4mN8rT1vX6zC3wH\nMASTER_KEY=Rt5Yh8Kj2Lp9Qw4Ez7Xc1Vb6\n",
		"src/jwt.ts":      "const jwtSigningKey = \"pX3kL9mQ2wR7tZ5vN8bJ4hF6\";\n",
		"k8s/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ndata:\n  GITHUB_TOKEN: " + b64(fakeGitHubPAT) + "\n",
		// Not secrets: compose's $$ escape and alternating placeholders.
		"docker-compose.yml": "services:\n  db:\n    environment:\n      DB_PASSWORD: $$POSTGRES_PASSWORD_VALUE\n      API_TOKEN: $${UPSTREAM_API_TOKEN}\n",
		"placeholders.env":   "API_KEY=A1B2C3D4E5F6G7H8I9J0\nSECRET_KEY=Z9Y8X7W6V5U4T3S2R1Q0\npassword=Ab12Ab12Ab12Ab12\n",
	})
	fs, r := secretFindings(t, dir)
	var got []string
	for _, f := range fs {
		got = append(got, fmt.Sprintf("%s:%d %s", f.Location.Path, f.Location.StartLine, f.ID))
		if strings.Contains(f.Evidence, b64(fakeGitHubPAT)[:16]) || strings.Contains(f.Evidence, fakeGitHubPAT[8:]) {
			t.Errorf("evidence shows the secret: %q", f.Evidence)
		}
	}
	sort.Strings(got)
	want := []string{
		"app.env:1 generic-secret", "app.env:2 generic-secret", "app.env:3 generic-secret", "app.env:4 generic-secret",
		"k8s/secret.yaml:6 github-pat",
		"src/jwt.ts:1 generic-secret",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("exit %d; findings (-want +got):\n%s", r.code, diff)
	}
}

// TestSecretsHistoryAuthorEverywhere: SARIF and the table carry the author
// and date of a history finding, as JSON does.
func TestSecretsHistoryAuthorEverywhere(t *testing.T) {
	dir := gitRepo(t)
	db := filepath.Join(t.TempDir(), "none.db")
	r := airlock(t, db, "scan", "--scanners", "secret", "--history", "--format", "sarif", dir)
	var sarif struct {
		Runs []struct {
			Results []struct {
				RuleID     string
				Properties struct {
					FirstCommit struct{ SHA, Author, Email, Date string }
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &sarif); err != nil || len(sarif.Runs) != 1 {
		t.Fatalf("exit %d: %v\n%s", r.code, err, r.stderr)
	}
	found := false
	for _, res := range sarif.Runs[0].Results {
		if c := res.Properties.FirstCommit; res.RuleID == "github-pat" {
			found = c.Author == "Dev One" && c.Email == "dev@example.com" && c.Date == "2024-05-01T10:00:00Z" && c.SHA != ""
		}
	}
	if !found {
		t.Errorf("SARIF has no github-pat result with the first commit's author and date:\n%s", r.stdout)
	}
	r = airlock(t, db, "scan", "--scanners", "secret", "--history", dir)
	if !strings.Contains(r.stdout, "first added by Dev One on 2024-05-01") {
		t.Errorf("table lacks the author and date:\n%s", r.stdout)
	}
}
