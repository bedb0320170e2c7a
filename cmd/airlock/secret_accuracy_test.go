package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
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
