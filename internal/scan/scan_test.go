package scan

import (
	"context"
	"fmt"
	"github.com/airlock-sec/airlock/internal/analyzer"
	"github.com/airlock-sec/airlock/internal/analyzer/depvuln"
	"github.com/airlock-sec/airlock/internal/analyzer/secretscan"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/inventory/list"
	"github.com/airlock-sec/airlock/internal/osv"
	"github.com/airlock-sec/airlock/internal/secret"
)

// fakeDB is a vuln.Source with one record per PyPI name "vuln-*".
type fakeDB struct{}

func (fakeDB) Names(_ context.Context, eco string) (map[string]bool, error) {
	if eco != inventory.PyPI {
		return map[string]bool{}, nil
	}
	return map[string]bool{"vuln-a": true, "vuln-b": true}, nil
}

func (fakeDB) Query(_ context.Context, eco, name string) ([]*osv.Vulnerability, error) {
	return []*osv.Vulnerability{{
		ID: "PYSEC-0000-" + name, Summary: "bad " + name,
		Affected: []osv.Affected{{
			Package: osv.Package{Ecosystem: eco, Name: name},
			Ranges:  []osv.Range{{Type: osv.RangeEcosystem, Events: []osv.Event{{Introduced: "0"}, {Fixed: "2.0"}}}},
		}},
		DatabaseSpecific: []byte(`{"severity":"HIGH"}`),
	}}, nil
}

func write(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func messages(ns []Notice) string {
	var b strings.Builder
	for _, n := range ns {
		b.WriteString(string(n.Level) + " " + n.Where() + ": " + n.Message + "\n")
	}
	return b.String()
}

func TestRun(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{
		"requirements.txt":                   "vuln-a==1.0\n-r sub/requirements.txt\nsafe==1.0\nloose>=1\n",
		"sub/requirements.txt":               "vuln-b==1.5\n",
		"node_modules/x/requirements.txt":    "vuln-a==1.0\n",
		".git/requirements.txt":              "vuln-a==1.0\n",
		"broken/requirements.txt":            "this is not ==== a requirement\n",
		"app/go.mod":                         "module m\n\ngo 1.22\n\ntoolchain go1.22.1\n",
		"docs/readme.md":                     "vuln-a==1.0\n",
		".airlock.yaml":                      "ignore:\n  - id: PYSEC-0000-vuln-b\n    reason: test\n",
		"outside/requirements-symlinked.txt": "vuln-a==1.0\n",
		".gitignore":                         "/venv/\n*.bak.txt\n",
		"venv/lib/requirements.txt":          "vuln-a==1.0\n",
		"app/.gitignore":                     "generated/\n",
		"app/generated/requirements.txt":     "vuln-a==1.0\n",
	})
	if err := os.Symlink(filepath.Join(root, "outside", "requirements-symlinked.txt"), filepath.Join(root, "requirements-link.txt")); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	res, err := Run(context.Background(), root, Options{
		Extractors: list.All(), Analyzers: vulnOnly, Now: func() time.Time { return now },
		Env: analyzer.Env{VulnDB: fakeDB{}, MaxAge: 7 * 24 * time.Hour,
			Sources: []Source{{Ecosystem: "PyPI", Path: "/x/all.zip", NewestModified: now.AddDate(0, 0, -30)}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, m := range res.Manifests {
		paths = append(paths, m.Path)
	}
	// node_modules and .git are not walked; the symbolic link is not
	// followed; the broken manifest is listed with what could be read of
	// it (nothing) and its bad line is a notice.
	if diff := cmp.Diff([]string{"app/go.mod", "broken/requirements.txt", "outside/requirements-symlinked.txt", "requirements.txt", "sub/requirements.txt"}, paths); diff != "" {
		t.Errorf("manifests (-want +got):\n%s", diff)
	}
	var got []string
	for _, f := range res.Findings {
		s := f.ID + " " + f.Location.Path
		if f.Ignored != nil {
			s += " ignored"
		}
		got = append(got, s)
	}
	// sub/requirements.txt's package is reported once although two
	// manifests read it.
	want := []string{"PYSEC-0000-vuln-a outside/requirements-symlinked.txt", "PYSEC-0000-vuln-a requirements.txt", "PYSEC-0000-vuln-b sub/requirements.txt ignored"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if res.Findings[0].Severity != finding.High || res.Findings[0].FixedVersions[0] != "2.0" {
		t.Errorf("finding = %+v", res.Findings[0])
	}
	msgs := messages(res.Notices)
	for _, want := range []string{
		"error broken/requirements.txt:1: invalid requirement",
		"warning requirements.txt: 1 dependency is not pinned to one version and not checked: loose",
		"no vulnerability data for Go is imported: 1 package was not checked",
		"the PyPI vulnerability data is 30 days old",
	} {
		if !strings.Contains(msgs, want) {
			t.Errorf("notices lack %q:\n%s", want, msgs)
		}
	}
	if !res.StartedAt.Equal(now) || !res.FinishedAt.Equal(now) {
		t.Errorf("times %v %v", res.StartedAt, res.FinishedAt)
	}
}

func TestRunNoIgnore(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{".gitignore": "venv/\n", "venv/requirements.txt": "vuln-a==1.0\n"})
	for _, noIgnore := range []bool{false, true} {
		res, err := Run(context.Background(), root, Options{Extractors: list.All(), Analyzers: vulnOnly, Env: analyzer.Env{VulnDB: fakeDB{}}, NoIgnore: noIgnore})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(res.Manifests) == 1; got != noIgnore {
			t.Errorf("NoIgnore=%v: manifests %+v", noIgnore, res.Manifests)
		}
	}
}

func TestRunOneFile(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{"requirements.txt": "vuln-a==1.0\n", "notes.txt": "x"})
	res, err := Run(context.Background(), filepath.Join(root, "requirements.txt"), Options{Extractors: list.All(), Analyzers: vulnOnly, Env: analyzer.Env{VulnDB: fakeDB{}}})
	if err != nil || len(res.Findings) != 1 {
		t.Fatalf("%v %+v", err, res)
	}
	if _, err := Run(context.Background(), filepath.Join(root, "notes.txt"), Options{Extractors: list.All(), Analyzers: vulnOnly, Env: analyzer.Env{VulnDB: fakeDB{}}}); err == nil || !strings.Contains(err.Error(), "not a file any selected scanner reads") {
		t.Errorf("non-manifest: %v", err)
	}
	if _, err := Run(context.Background(), filepath.Join(root, "missing"), Options{}); err == nil {
		t.Error("missing target: no error")
	}
}

// panicky is an extractor with a bug.
type panicky struct{}

func (panicky) Name() string               { return "test/panicky" }
func (panicky) FileRequired(p string) bool { return strings.HasSuffix(p, ".boom") }
func (panicky) Extract(context.Context, *inventory.Input) ([]inventory.Package, error) {
	var m map[string]int
	m["x"]++
	return nil, io.EOF
}

func TestExtractorPanicIsANotice(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{"a.boom": "", "requirements.txt": "vuln-a==1.0\n"})
	res, err := Run(context.Background(), root, Options{Extractors: append(list.All(), panicky{}), Analyzers: vulnOnly, Env: analyzer.Env{VulnDB: fakeDB{}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || !strings.Contains(messages(res.Notices), "extractor test/panicky failed") {
		t.Errorf("findings %d, notices:\n%s", len(res.Findings), messages(res.Notices))
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, t.TempDir(), Options{Extractors: list.All()}); err == nil {
		t.Error("cancelled scan succeeded")
	}
}

func TestSecretsSkipsAndCounts(t *testing.T) {
	root := t.TempDir()
	// A 320 KiB minified bundle with a live key: read like any file.
	big := strings.Repeat("var a=1;", 40<<10) + `var k="sk_live_51Hx7QmK3vT9pL2wR8nY4cZ6bD1fG5hJ0kM";`
	write(t, root, map[string]string{
		"app.min.js":          big,
		"logo.bin":            "\x00\x01\x02PNG",
		"vendor/lib/conf.env": "password = Zq8Lw3Xv9Rk2Yp7M\n",
		"deploy.env":          "GITHUB_TOKEN=ghp_Q7rT2xK9mB4vN8cL1zP6wS3dF5gH0jYuE2aR\n",
		".gitleaks.toml":      "",
	})
	cfg, err := secret.ParseConfig("test.toml", strings.NewReader("[extend]\nuseDefault = true\n[[allowlists]]\npaths = ['''^vendor/''']\n"))
	if err != nil {
		t.Fatal(err)
	}
	// A config with [extend] needs LoadConfig's merge; build the detector
	// from the defaults plus the allowlist instead.
	def := secret.DefaultConfig()
	def.Allowlists = append(def.Allowlists, cfg.Allowlists...)
	det, err := secret.NewDetector(def)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), root, Options{Analyzers: []analyzer.Analyzer{secretscan.New(secretscan.Config{Detector: det, Operator: true})}})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range res.Findings {
		paths = append(paths, fmt.Sprintf("%s:%d:%d", f.Location.Path, f.Location.StartLine, f.Location.StartColumn))
		if strings.Contains(f.Evidence, "Q7rT2xK9") || strings.Contains(f.Evidence, "Hx7QmK3v") {
			t.Errorf("evidence not redacted: %q", f.Evidence)
		}
	}
	if diff := cmp.Diff([]string{"app.min.js:1:327688", "deploy.env:1:14"}, paths); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if msgs := messages(res.Notices); !strings.Contains(msgs, "skipped 1 binary, 0 over the size limit, 0 unreadable, 1 excluded by the rules' allowlisted paths") {
		t.Errorf("notices:\n%s", msgs)
	}
}

// vulnOnly runs dependency scanning alone.
var vulnOnly = []analyzer.Analyzer{depvuln.New()}
