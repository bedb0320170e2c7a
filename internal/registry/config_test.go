package registry

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
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
	// pip's index URL carries its credentials: they become basic
	// authentication and leave the URL.
	got = Native(env(map[string]string{"PIP_INDEX_URL": "https://ci:p%40ss@devpi.corp/root/pypi/+simple/"}), home, cfgDir)
	if m := got["pypi"]; m.URL != "https://devpi.corp/root/pypi/+simple/" || m.Username != "ci" || m.Password != "p@ss" {
		t.Errorf("PIP_INDEX_URL with credentials: %+v", m)
	}
	if got := Native(env(map[string]string{"PIP_INDEX_URL": "not a url"}), home, cfgDir); len(got["pypi"].URL) != 0 {
		t.Errorf("a PIP_INDEX_URL that is not a URL: %+v", got["pypi"])
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

// TestNPMRCAuth: the user's .npmrc gives the npm mirror its credentials,
// however npm writes them, the longest matching path first; top-level
// ones only for the registry the file names; airlock's own credentials
// win; a repository's .npmrc is never read.
func TestNPMRCAuth(t *testing.T) {
	home := t.TempDir()
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	rc := strings.Join([]string{
		"registry=https://nexus.corp/repository/npm/",
		"_auth=" + b64("legacy:pw0"),
		"//nexus.corp/:_authToken=host-wide",
		"//nexus.corp/repository/npm/:_auth=" + b64("ci:pw:with:colons"),
		"//verdaccio.corp/:username=dev",
		"//verdaccio.corp/:_password=" + b64("pw2"),
		"//artifactory.corp/api/npm/:_authToken=${ART_TOKEN}",
		"//broken.corp/:_auth=not base64!",
		"",
	}, "\n")
	os.WriteFile(filepath.Join(home, ".npmrc"), []byte(rc), 0o644)
	ge := env(map[string]string{"ART_TOKEN": "art"})
	for _, tc := range []struct {
		url, token, user, pass string
	}{
		{"https://nexus.corp/repository/npm/", "", "ci", "pw:with:colons"},
		{"https://nexus.corp/repository/other/", "host-wide", "", ""},
		{"https://verdaccio.corp/", "", "dev", "pw2"},
		{"https://artifactory.corp/api/npm/npm-remote/", "art", "", ""},
		// No credentials for it, and not the file's registry: the
		// top-level _auth is not sent.
		{"https://broken.corp/", "", "", ""},
		{"https://elsewhere.corp/", "", "", ""},
	} {
		cfg := WithNPMRC(Config{Mirrors: map[string]Mirror{"npm": {URL: tc.url, From: "--registry npm"}}}, ge, home)
		m := cfg.Mirrors["npm"]
		if m.Token != tc.token || m.Username != tc.user || m.Password != tc.pass {
			t.Errorf("%s: token %q user %q password %q; want %q %q %q", tc.url, m.Token, m.Username, m.Password, tc.token, tc.user, tc.pass)
		}
	}
	// Top-level credentials go to the file's own registry.
	os.WriteFile(filepath.Join(home, ".npmrc"), []byte("registry=https://nexus.corp/npm/\n_authToken=top\n"), 0o644)
	if m := Native(env(nil), home, "")["npm"]; m.Token != "top" {
		t.Errorf("top-level _authToken: %+v", m)
	}
	// airlock's own configuration wins.
	own := Config{Mirrors: map[string]Mirror{"npm": {URL: "https://nexus.corp/npm/", Username: "svc", Password: "x"}, "go": {URL: "https://athens.corp"}}}
	if m := WithNPMRC(own, env(nil), home).Mirrors["npm"]; m.Username != "svc" || m.Token != "" {
		t.Errorf("configured credentials replaced: %+v", m)
	}
	// The credentials reach the mirror.
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Get("Authorization"))
		w.Write([]byte(`{"name":"left-pad","versions":{"1.3.0":{}}}`))
	}))
	defer srv.Close()
	os.WriteFile(filepath.Join(home, ".npmrc"), []byte("//"+strings.TrimPrefix(srv.URL, "http://")+"/:_auth="+b64("ci:pw")+"\n"), 0o644)
	set, err := New(WithNPMRC(Config{CacheDir: t.TempDir(), Mirrors: map[string]Mirror{"npm": {URL: srv.URL + "/"}}}, env(nil), home))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := set.Client("npm")
	if _, err := c.Package(context.Background(), "left-pad"); err != nil {
		t.Fatal(err)
	}
	if a, _ := got.Load().(string); a != "Basic "+b64("ci:pw") {
		t.Errorf("Authorization %q", a)
	}
	// A repository's .npmrc in the working directory is not the user's.
	repo := t.TempDir()
	os.WriteFile(filepath.Join(repo, ".npmrc"), []byte("//nexus.corp/:_authToken=from-the-repo\n"), 0o644)
	t.Chdir(repo)
	if m := WithNPMRC(Config{Mirrors: map[string]Mirror{"npm": {URL: "https://nexus.corp/x/"}}}, env(nil), t.TempDir()).Mirrors["npm"]; m.Token != "" {
		t.Errorf("read the repository's .npmrc: %+v", m)
	}
}
