package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const siteRulesTOML = `title = "site rules"
[[rules]]
id = "corp-deploy-token"
description = "Corp deploy token"
regex = '''corpdeploy_[a-z0-9]{24}'''
keywords = ["corpdeploy_"]
`

// TestBundleCycle: keygen, bundle, verify and import through the binary;
// the bundle's secret rules replace the embedded ones in scans; untrusted
// and older bundles are refused with the data intact.
func TestBundleCycle(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "v.db")
	run := func(env []string, args ...string) result {
		t.Helper()
		return airlockEnv(t, binary, append([]string{"AIRLOCK_DB=" + db, "AIRLOCK_CONFIG=", "AIRLOCK_TRUSTED_KEYS="}, env...), nil, args...)
	}
	must := func(r result, what string) result {
		t.Helper()
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", what, r.code, r.stdout, r.stderr)
		}
		return r
	}
	key := filepath.Join(dir, "signer")
	must(run(nil, "db", "keygen", "--out", key), "keygen")
	if r := run(nil, "db", "keygen", "--out", key); r.code == 0 || !strings.Contains(r.stderr, "refusing to overwrite") {
		t.Errorf("second keygen over the same name: exit %d %s", r.code, r.stderr)
	}
	rules := filepath.Join(dir, "rules.toml")
	os.WriteFile(rules, []byte(siteRulesTOML), 0o644)
	bundleFile := filepath.Join(dir, "data.bundle")
	sample := []string{"../../testdata/osv-sample/PyPI/all.zip", "../../testdata/osv-sample/Go/all.zip"}
	r := must(run(nil, append([]string{"db", "bundle", "--sign", key + ".key", "--out", bundleFile, "--source", "secteam"}, append(sample, rules)...)...), "bundle")
	if !strings.Contains(r.stdout, "1 secret rules") || !strings.Contains(r.stdout, "of 3 members") {
		t.Errorf("bundle output:\n%s", r.stdout)
	}

	r = must(run(nil, "db", "verify", "--trusted-keys", key+".pub", bundleFile), "verify")
	if !strings.Contains(r.stdout, "verified") || !strings.Contains(r.stdout, `source "secteam"`) {
		t.Errorf("verify output:\n%s", r.stdout)
	}
	// Not trusted: another key.
	other := filepath.Join(dir, "other")
	must(run(nil, "db", "keygen", "--out", other), "keygen other")
	if r := run(nil, "db", "verify", "--trusted-keys", other+".pub", bundleFile); r.code != 1 || !strings.Contains(r.stderr, "not among the trusted keys") {
		t.Errorf("verify with another key: exit %d %s", r.code, r.stderr)
	}
	if r := run(nil, "db", "import", bundleFile); r.code != 1 || !strings.Contains(r.stderr, "--trusted-keys") {
		t.Errorf("import without trusted keys: exit %d %s", r.code, r.stderr)
	}
	// Trusted through the configuration file (AIRLOCK_CONFIG's
	// trusted_keys), as serve reads it: the signer's key verifies, another
	// key's refuses.
	for _, c := range []struct {
		pub  string
		code int
	}{{key + ".pub", 0}, {other + ".pub", 1}} {
		cfg := filepath.Join(dir, "config-"+filepath.Base(c.pub)+".yaml")
		os.WriteFile(cfg, []byte("trusted_keys: "+c.pub+"\n"), 0o600)
		if r := run([]string{"AIRLOCK_CONFIG=" + cfg}, "db", "verify", bundleFile); r.code != c.code {
			t.Errorf("verify with trusted_keys %s in the config file: exit %d, want %d\n%s%s", filepath.Base(c.pub), r.code, c.code, r.stdout, r.stderr)
		}
	}
	if _, err := os.Stat(db); err == nil {
		if r := run(nil, "db", "status"); strings.Contains(r.stdout, "PyPI") {
			t.Errorf("a refused import left data:\n%s", r.stdout)
		}
	}

	// Trusted through the environment (a directory of keys).
	keys := filepath.Join(dir, "trusted")
	os.Mkdir(keys, 0o755)
	for _, k := range []string{key, other} {
		b, _ := os.ReadFile(k + ".pub")
		os.WriteFile(filepath.Join(keys, filepath.Base(k)+".pub"), b, 0o644)
	}
	r = must(run([]string{"AIRLOCK_TRUSTED_KEYS=" + keys}, "db", "import", bundleFile), "import")
	if !strings.Contains(r.stdout, "imported bundle") || !strings.Contains(r.stdout, "PyPI records") {
		t.Errorf("import output:\n%s", r.stdout)
	}
	if r := must(run([]string{"AIRLOCK_TRUSTED_KEYS=" + keys}, "db", "import", bundleFile), "import again"); !strings.Contains(r.stdout, "already imported") {
		t.Errorf("second import:\n%s", r.stdout)
	}

	// The bundle's rules find the site's own token type, which the
	// embedded rules do not know.
	tree := filepath.Join(dir, "tree")
	os.Mkdir(tree, 0o755)
	os.WriteFile(filepath.Join(tree, "runbook.txt"), []byte("Deploy with corpdeploy_abcdefghij0123456789klmn from the vault.\n"), 0o644)
	r = run(nil, "scan", "--scanners", "secret", "--format", "json", tree)
	if r.code != 3 || !strings.Contains(r.stdout, "corp-deploy-token") || !strings.Contains(r.stdout, "rules of data bundle") {
		t.Errorf("scan with the bundle's rules: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := run([]string{"AIRLOCK_DB=" + filepath.Join(dir, "none.db")}, "scan", "--scanners", "secret", tree); r.code != 0 {
		t.Errorf("scan with the embedded rules: exit %d (want 0: they do not know the token)\n%s%s", r.code, r.stdout, r.stderr)
	}

	newer := filepath.Join(dir, "newer.bundle")
	// newer is incremental on data.bundle and holds nothing changed: it
	// still moves the chain forward.
	r = must(run(nil, append([]string{"db", "bundle", "--sign", key + ".key", "--out", newer, "--source", "secteam", "--since", bundleFile}, sample[1])...), "bundle newer")
	if !strings.Contains(r.stdout, "incremental bundle on") || !strings.Contains(r.stdout, "of 0 members") {
		t.Errorf("incremental bundle of unchanged data:\n%s", r.stdout)
	}
	must(run(nil, "db", "import", "--trusted-keys", keys, newer), "import incremental")
	// Its base applied, data.bundle is now older than what was imported
	// from this signer and source.
	if r := run(nil, "db", "import", "--trusted-keys", keys, filepath.Join(dir, "data.bundle")); !strings.Contains(r.stdout+r.stderr, "already imported") {
		t.Errorf("re-import of the base: exit %d %s%s", r.code, r.stdout, r.stderr)
	}
}

// TestDBSync: a bundle and an all.zip on an internal HTTP location are
// imported through the binary; a second run downloads nothing.
func TestDBSync(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "k")
	env := []string{"AIRLOCK_DB=" + filepath.Join(dir, "v.db"), "AIRLOCK_CONFIG=", "AIRLOCK_TRUSTED_KEYS=" + key + ".pub", "HTTPS_PROXY=", "HTTP_PROXY=", "NO_PROXY="}
	run := func(args ...string) result {
		t.Helper()
		return airlockEnv(t, binary, env, nil, args...)
	}
	if r := run("db", "keygen", "--out", key); r.code != 0 {
		t.Fatal(r.stderr)
	}
	bf := filepath.Join(dir, "latest.bundle")
	if r := run("db", "bundle", "--sign", key+".key", "--out", bf, "../../testdata/osv-sample/Go/all.zip"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/data/latest.bundle", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, bf)
	})
	mux.HandleFunc("/osv/PyPI/all.zip", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, "../../testdata/osv-sample/PyPI/all.zip")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	r := run("db", "sync", srv.URL+"/data/latest.bundle", srv.URL+"/osv/PyPI/all.zip")
	if r.code != 0 || !strings.Contains(r.stdout, "imported bundle") || !strings.Contains(r.stdout, "as osv/PyPI/all.zip") {
		t.Fatalf("sync: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run("db", "sync", srv.URL+"/data/latest.bundle", srv.URL+"/osv/PyPI/all.zip")
	if r.code != 0 || strings.Count(r.stdout, "unchanged") != 2 {
		t.Errorf("second sync: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := run("db", "sync", srv.URL+"/missing.zip"); r.code != 1 || !strings.Contains(r.stderr, "404") {
		t.Errorf("missing file: exit %d %s", r.code, r.stderr)
	}
}

// TestServeBundleUpload: a bundle uploaded to the server is verified
// against its trusted keys and applied; the data endpoint shows it; an
// altered or untrusted bundle is refused with the data intact.
func TestServeBundleUpload(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "k")
	env := []string{"AIRLOCK_CONFIG=", "AIRLOCK_TRUSTED_KEYS="}
	if r := airlockEnv(t, binary, env, nil, "db", "keygen", "--out", key); r.code != 0 {
		t.Fatal(r.stderr)
	}
	other := filepath.Join(dir, "other")
	airlockEnv(t, binary, env, nil, "db", "keygen", "--out", other)
	good, untrusted := filepath.Join(dir, "good.bundle"), filepath.Join(dir, "untrusted.bundle")
	for _, b := range []struct{ key, out string }{{key, good}, {other, untrusted}} {
		if r := airlockEnv(t, binary, env, nil, "db", "bundle", "--sign", b.key+".key", "--out", b.out, "../../testdata/osv-sample/PyPI/all.zip"); r.code != 0 {
			t.Fatal(r.stderr)
		}
	}
	tok := "alk_" + strings.Repeat("q", 32)
	s := startServe(t, filepath.Join(dir, "data"), "AIRLOCK_ADMIN_TOKEN="+tok, "AIRLOCK_TRUSTED_KEYS="+key+".pub")
	post := func(file string, body []byte) (int, string) {
		t.Helper()
		if body == nil {
			body, _ = os.ReadFile(file)
		}
		req, _ := http.NewRequest("POST", "http://"+s.addr+"/api/v1/data/bundles", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/octet-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post(good, nil); code != 200 || !strings.Contains(body, `"status":"imported"`) || !strings.Contains(body, `"origin":"osv-sample/PyPI/all.zip"`) {
		t.Fatalf("upload: %d %s", code, body)
	}
	if code, body := post(good, nil); code != 200 || !strings.Contains(body, `"status":"unchanged"`) {
		t.Errorf("second upload: %d %s", code, body)
	}
	if code, body := post(untrusted, nil); code != 422 || !strings.Contains(body, "untrusted_bundle") || strings.Contains(body, ".upload-") {
		t.Errorf("untrusted upload: %d %s", code, body)
	}
	raw, _ := os.ReadFile(good)
	raw[len(raw)/2] ^= 0xff
	if code, body := post("", raw); code != 422 {
		t.Errorf("altered upload: %d %s", code, body)
	}
	req, _ := http.NewRequest("GET", "http://"+s.addr+"/api/v1/data", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.Count(string(b), `"signer"`) != 1 || !strings.Contains(string(b), "osv-sample/PyPI/all.zip") {
		t.Errorf("data status: %d %s", resp.StatusCode, b)
	}
	s.stop(t)

	// A server with a smaller upload limit refuses the bundle with 413,
	// naming the limit.
	s = startServe(t, filepath.Join(dir, "data2"), "AIRLOCK_ADMIN_TOKEN="+tok, "AIRLOCK_TRUSTED_KEYS="+key+".pub", "AIRLOCK_MAX_BUNDLE_UPLOAD=1024")
	if code, body := post(good, nil); code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "upload limit of 1 KiB (1024 bytes)") {
		t.Errorf("upload over max_bundle_upload: %d %s", code, body)
	}
	s.stop(t)
}

// TestBundleFromURLs: on a connected machine db bundle takes http(s) URLs
// as inputs: each is downloaded and packed like a carried-in file, an
// archive at the root's ECOSYSTEM/all.zip named osv/ECOSYSTEM/all.zip as
// a carried-in copy would be; a URL that cannot be fetched fails the
// command naming it, with no bundle written.
func TestBundleFromURLs(t *testing.T) {
	zip, err := os.ReadFile("../../testdata/osv-sample/PyPI/all.zip")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/PyPI/all.zip" {
			http.NotFound(w, r)
			return
		}
		w.Write(zip)
	}))
	defer srv.Close()
	dir := t.TempDir()
	run := func(args ...string) result {
		t.Helper()
		return airlockEnv(t, binary, []string{"AIRLOCK_DB=" + filepath.Join(dir, "v.db"), "AIRLOCK_CONFIG=", "AIRLOCK_TRUSTED_KEYS="}, nil, args...)
	}
	key := filepath.Join(dir, "signer")
	if r := run("db", "keygen", "--out", key); r.code != 0 {
		t.Fatalf("keygen: %s", r.stderr)
	}
	out := filepath.Join(dir, "data.bundle")
	r := run("db", "bundle", "--sign", key+".key", "--out", out, srv.URL+"/PyPI/all.zip")
	if r.code != 0 || !strings.Contains(r.stdout, "downloaded "+srv.URL+"/PyPI/all.zip") || !strings.Contains(r.stdout, "PyPI records as osv/PyPI/all.zip") {
		t.Fatalf("bundle from a URL: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := run("db", "import", "--trusted-keys", key+".pub", out); r.code != 0 || !strings.Contains(r.stdout, "PyPI records") {
		t.Fatalf("import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	missing := filepath.Join(dir, "missing.bundle")
	if r := run("db", "bundle", "--sign", key+".key", "--out", missing, srv.URL+"/Go/all.zip"); r.code != 1 || !strings.Contains(r.stderr, srv.URL+"/Go/all.zip") || !strings.Contains(r.stderr, "404") {
		t.Errorf("a URL that is not there: exit %d %s", r.code, r.stderr)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("a bundle was written although an input could not be fetched")
	}
}
