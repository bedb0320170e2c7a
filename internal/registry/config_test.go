package registry

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

func env(m map[string]string) Getenv { return func(k string) string { return m[k] } }

func TestNative(t *testing.T) {
	home, cfgDir := t.TempDir(), t.TempDir()
	// Nothing set: no built-in default (proxy.golang.org, registry.npmjs.org, pypi.org).
	if got := Native(env(nil), home, cfgDir); len(got) != 0 {
		t.Fatalf("nothing configured gave %v", got)
	}
	os.MkdirAll(filepath.Join(cfgDir, "go"), 0o755)
	os.WriteFile(filepath.Join(cfgDir, "go", "env"), []byte("GOFLAGS=-mod=mod\nGOPROXY=https://athens.corp/,direct\n"), 0o644)
	os.WriteFile(filepath.Join(home, ".npmrc"), []byte("; comment\n//verdaccio.corp/:_authToken=${NPM_TOKEN}\nregistry = https://verdaccio.corp/\n"), 0o644)
	got := Native(env(map[string]string{"PIP_INDEX_URL": "https://devpi.corp/root/pypi/+simple/", "NPM_TOKEN": "s3cret"}), home, cfgDir)
	want := map[string]Mirror{
		"go":   {URL: "https://athens.corp/", From: filepath.Join(cfgDir, "go", "env") + " (GOPROXY)"},
		"npm":  {URL: "https://verdaccio.corp/", From: filepath.Join(home, ".npmrc"), Token: "s3cret"},
		"pypi": {URL: "https://devpi.corp/root/pypi/+simple/", From: "PIP_INDEX_URL"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The environment wins over the files; "direct" and "off" are not URLs.
	got = Native(env(map[string]string{"GOPROXY": "direct", "npm_config_registry": "https://nexus.corp/npm/"}), home, cfgDir)
	if _, ok := got["go"]; ok || got["npm"].URL != "https://nexus.corp/npm/" {
		t.Errorf("environment: %v", got)
	}
	got = Native(env(map[string]string{"GOPROXY": "off,https://x.corp"}), home, cfgDir)
	if _, ok := got["go"]; ok {
		t.Errorf("GOPROXY=off gave %v", got["go"])
	}
	if got := Native(env(map[string]string{"GOENV": "off"}), home, cfgDir); got["go"].URL != "" {
		t.Errorf("GOENV=off read the file: %v", got["go"])
	}
}

func TestResolve(t *testing.T) {
	var file Config
	var doc struct {
		Registries yaml.Node `yaml:"registries"`
	}
	src := `registries:
  cache_ttl: 1h
  mirrors:
    npm: {url: "https://artifactory.corp/api/npm/npm/", token: tok}
    crates.io: {url: "https://artifactory.corp/api/cargo/index/"}
`
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	file, err := ParseYAML("config.yaml", &doc.Registries)
	if err != nil {
		t.Fatal(err)
	}
	native := map[string]Mirror{"npm": {URL: "https://verdaccio.corp/", From: ".npmrc"}, "go": {URL: "https://athens.corp", From: "GOPROXY"}}
	_, flag, err := ParseFlag("NPM=https://artifactory.corp/api/npm/other/")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Resolve(map[string]Mirror{"npm": flag}, env(map[string]string{"AIRLOCK_REGISTRY_GO": "https://goproxy.corp"}), file, native)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Mirror{
		// The flag's URL on the file's host keeps the file's token.
		"npm":    {URL: "https://artifactory.corp/api/npm/other/", Token: "tok", From: "--registry npm"},
		"go":     {URL: "https://goproxy.corp", From: "AIRLOCK_REGISTRY_GO"},
		"crates": {URL: "https://artifactory.corp/api/cargo/index/", From: "config.yaml"},
	}
	if diff := cmp.Diff(want, got.Mirrors); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got.CacheTTL.String() != "1h0m0s" {
		t.Errorf("cache_ttl %v", got.CacheTTL)
	}
}

func TestConfigErrors(t *testing.T) {
	for in, want := range map[string]string{
		"npm":                     "give ECOSYSTEM=URL",
		"cobol=https://x":         `unknown ecosystem "cobol"`,
		"npm=ftp://x":             "not an http(s) URL",
		"npm=https://u:p@x.corp/": "carries credentials",
	} {
		if _, _, err := ParseFlag(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseFlag(%q) = %v, want %q", in, err, want)
		}
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "config.yaml")
	os.WriteFile(file, []byte("registries:\n  mirrors:\n    npm: {url: not-a-url}\n"), 0o644)
	if _, err := LoadUserConfig(file); err == nil || !strings.Contains(err.Error(), "registries.mirrors.npm.url") || !strings.Contains(err.Error(), file) {
		t.Errorf("bad url: %v", err)
	}
	if c, err := LoadUserConfig(filepath.Join(dir, "missing.yaml")); err != nil || len(c.Mirrors) != 0 {
		t.Errorf("missing file: %v %v", c, err)
	}
	if _, err := Resolve(nil, env(map[string]string{"AIRLOCK_REGISTRY_NPM": "nope"}), Config{}, nil); err == nil || !strings.Contains(err.Error(), "AIRLOCK_REGISTRY_NPM") {
		t.Errorf("bad environment: %v", err)
	}
}
