package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// pypiMirror is a PEP 691 simple index serving the given versions.
func pypiMirror(t *testing.T, pkgs map[string][]string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		name := strings.Trim(strings.TrimPrefix(r.URL.Path, "/simple"), "/")
		vs, ok := pkgs[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		var files []map[string]any
		for _, v := range vs {
			files = append(files, map[string]any{"filename": fmt.Sprintf("%s-%s.tar.gz", name, v), "url": "https://files.example/x", "hashes": map[string]string{"sha256": fileHash(name, v)}})
		}
		w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
		json.NewEncoder(w).Encode(map[string]any{"meta": map[string]string{"api-version": "1.1"}, "name": name, "versions": vs, "files": files})
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// fileHash is the stand-in's sha256 of a release's one file.
func fileHash(name, v string) string {
	h := sha256.Sum256([]byte(name + "-" + v + ".tar.gz"))
	return hex.EncodeToString(h[:])
}

// TestFixRequirements: airlock fix plans a requirements file's pins to
// the lowest releases the mirror serves that fix them, shows the diff
// without writing, writes it with --write keeping comments, extras,
// markers and includes, replaces a hash-pinned line's hashes with those
// of the new version's files on the mirror, and a second run has nothing
// left to change.
func TestFixRequirements(t *testing.T) {
	db := filepath.Join(t.TempDir(), "v.db")
	if r := airlock(t, db, "db", "import", sharedZip(t, "osv", "PyPI")); r.code != 0 {
		t.Fatalf("import: %d %s", r.code, r.stderr)
	}
	srv, requests := pypiMirror(t, map[string][]string{
		"requests": {"2.19.0", "2.20.0", "2.30.0", "2.31.0", "2.32.3", "3.0.0a1"},
		"jinja2":   {"2.10", "2.10.1", "2.11.2", "2.11.3", "3.1.4"},
		"flask":    {"0.12", "0.12.3", "1.0", "2.2.5", "2.3.2"},
		"urllib3":  {"1.24.1", "1.24.2", "1.26.5", "1.26.17", "1.26.18", "1.26.19", "2.2.2"},
	})
	dir := t.TempDir()
	req := "# pinned for the service\n-r base.txt\nrequests[socks]==2.19.0 ; python_version >= \"3.8\"  # HTTP client\nurllib3==1.24.1 \\\n    --hash=sha256:aaaa\nflask==0.12\n"
	os.WriteFile(filepath.Join(dir, "requirements.txt"), []byte(req), 0o644)
	os.WriteFile(filepath.Join(dir, "base.txt"), []byte("jinja2==2.10  # templates\n"), 0o644)
	env := []string{"AIRLOCK_DB=" + db, "AIRLOCK_REGISTRY_PYPI=" + srv.URL + "/simple/", "XDG_CACHE_HOME=" + t.TempDir(), "XDG_CONFIG_HOME=" + t.TempDir(), "PIP_INDEX_URL="}

	r := airlockEnv(t, binary, env, nil, "fix", dir)
	if r.code != 0 {
		t.Fatalf("dry run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"requests 2.19.0 → 2.31.0  requirements.txt, direct; fixes PYSEC-2018-28, PYSEC-2023-74",
		"jinja2 2.10 → 2.11.3  base.txt, direct",
		"-requests[socks]==2.19.0 ; python_version >= \"3.8\"  # HTTP client\n+requests[socks]==2.31.0 ; python_version >= \"3.8\"  # HTTP client\n",
		"-jinja2==2.10  # templates\n+jinja2==2.11.3  # templates\n",
		"-urllib3==1.24.1 \\\n-    --hash=sha256:aaaa\n+urllib3==1.26.18 \\\n+    --hash=sha256:" + fileHash("urllib3", "1.26.18") + "\n",
		"flask 0.12  requirements.txt: needs major upgrade: no release of major line 0 fixes every known vulnerability; 2.2.5 does",
		"Dry run: nothing written",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "requirements.txt")); string(b) != req {
		t.Fatal("the dry run changed requirements.txt")
	}
	if requests.Load() != 5 {
		t.Errorf("%d mirror requests, want 5 (one per package, and the hash-pinned one's page again for its hashes)", requests.Load())
	}

	r = airlockEnv(t, binary, env, nil, "fix", "--write", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "Wrote ") {
		t.Fatalf("--write: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "requirements.txt"))
	if want := strings.NewReplacer("==2.19.0", "==2.31.0", "==1.24.1", "==1.26.18", "sha256:aaaa", "sha256:"+fileHash("urllib3", "1.26.18")).Replace(req); string(b) != want {
		t.Errorf("requirements.txt:\n%s\nwant\n%s", b, want)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "base.txt")); string(b) != "jinja2==2.11.3  # templates\n" {
		t.Errorf("base.txt: %q", b)
	}
	r = airlockEnv(t, binary, env, nil, "fix", dir)
	if r.code != 0 || strings.Contains(r.stdout, "---") || strings.Contains(r.stdout, "By hand") || strings.Contains(r.stdout, "urllib3") {
		t.Errorf("second run: exit %d\n%s", r.code, r.stdout)
	}

	// The JSON form carries every change, fixable or not.
	r = airlockEnv(t, binary, env, nil, "fix", "--format", "json", dir)
	var doc struct {
		Changes []struct {
			Name, Status string
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || len(doc.Changes) != 1 || doc.Changes[0].Name != "flask" {
		t.Errorf("json: %v %+v\n%s", err, doc, r.stdout)
	}

	// Usage errors.
	for _, args := range [][]string{{"fix", "--strategy", "newest", dir}, {"fix", "--group", "file", dir}, {"fix", dir, dir}} {
		if r := airlockEnv(t, binary, env, nil, args...); r.code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", args, r.code, r.stderr)
		}
	}
}

// TestFixNothingToWrite: when every fixable change is left by hand (a
// sha512-pinned requirement), --write says there is nothing to write and
// changes nothing.
func TestFixNothingToWrite(t *testing.T) {
	db := filepath.Join(t.TempDir(), "v.db")
	if r := airlock(t, db, "db", "import", sharedZip(t, "osv", "PyPI")); r.code != 0 {
		t.Fatalf("import: %d %s", r.code, r.stderr)
	}
	srv, _ := pypiMirror(t, map[string][]string{"urllib3": {"1.24.1", "1.26.18", "2.2.2"}})
	dir := t.TempDir()
	req := "urllib3==1.24.1 --hash=sha512:abcd\n"
	os.WriteFile(filepath.Join(dir, "requirements.txt"), []byte(req), 0o644)
	env := []string{"AIRLOCK_DB=" + db, "AIRLOCK_REGISTRY_PYPI=" + srv.URL + "/simple/", "XDG_CACHE_HOME=" + t.TempDir(), "XDG_CONFIG_HOME=" + t.TempDir(), "PIP_INDEX_URL="}
	r := airlockEnv(t, binary, env, nil, "fix", "--write", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "By hand: requirements.txt:1: urllib3 is hash-pinned and it is pinned with sha512 hashes") ||
		!strings.Contains(r.stdout, "Nothing to write: no plan changes a file") || strings.Contains(r.stdout, "Wrote ") {
		t.Errorf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "requirements.txt")); string(b) != req {
		t.Errorf("requirements.txt changed: %q", b)
	}
}
