package source

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// testToken is the token the test server accepts, as a Basic password
// with the user name oauth2 (as GitLab does).
const testToken = "glpat-Zq8xTestToken4Kw2"

// authEnv is the environment that carries token in an http.extraHeader.
func authEnv(token string) []string {
	basic := base64.StdEncoding.EncodeToString([]byte("oauth2:" + token))
	return []string{
		"GIT_CONFIG_COUNT=1",
		"GIT_CONFIG_KEY_0=http.extraHeader",
		"GIT_CONFIG_VALUE_0=Authorization: Basic " + basic,
	}
}

// gitServer serves the bare repositories under root with git http-backend
// over TLS, to requests that carry testToken. Requests under /hang/ never
// get an answer.
type gitServer struct {
	*httptest.Server
	root   string
	caFile string

	tokenInURL atomic.Bool  // a request carried the token in its URL
	requests   atomic.Int32 // requests with the right credentials
	released   chan struct{}
}

func newGitServer(t *testing.T) *gitServer {
	t.Helper()
	requireGit(t)
	out, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Fatalf("git --exec-path: %v", err)
	}
	backend := filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		t.Skipf("git http-backend is not installed: %v", err)
	}
	s := &gitServer{root: t.TempDir(), released: make(chan struct{}, 16)}
	cgiHandler := &cgi.Handler{
		Path: backend,
		Dir:  s.root,
		Env: []string{
			"PATH=" + os.Getenv("PATH"),
			"HOME=" + s.root,
			"GIT_CONFIG_NOSYSTEM=1",
			"GIT_CONFIG_GLOBAL=/dev/null",
			"GIT_PROJECT_ROOT=" + s.root,
			"GIT_HTTP_EXPORT_ALL=1",
		},
		Stderr: testLogWriter{t},
	}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.String(), testToken) {
			s.tokenInURL.Store(true)
		}
		if strings.HasPrefix(r.URL.Path, "/hang/") {
			select {
			case <-r.Context().Done():
			case <-time.After(time.Minute):
			}
			s.released <- struct{}{}
			return
		}
		if rest, ok := strings.CutPrefix(r.URL.Path, "/moved/"); ok {
			// A repository that moved: the answer redirects elsewhere.
			u := *r.URL
			u.Path = "/" + rest
			http.Redirect(w, r, u.String(), http.StatusMovedPermanently)
			return
		}
		if user, pw, ok := r.BasicAuth(); !ok || user != "oauth2" || pw != testToken {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, "HTTP Basic: Access denied", http.StatusUnauthorized)
			return
		}
		s.requests.Add(1)
		cgiHandler.ServeHTTP(w, r)
	}))
	s.StartTLS()
	t.Cleanup(s.Close)

	s.caFile = filepath.Join(t.TempDir(), "ca.pem")
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
	if err := os.WriteFile(s.caFile, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// testLogWriter sends git http-backend's standard error to the test log.
type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Logf("git http-backend: %s", strings.TrimSpace(string(p)))
	return len(p), nil
}

// publish makes a bare copy of r's repository at the server's path
// (e.g. "g/p.git") and returns its clone URL.
func (s *gitServer) publish(t *testing.T, r *gitRepo, path string) string {
	t.Helper()
	dst := filepath.Join(s.root, filepath.FromSlash(path))
	cmd := exec.Command("git", "clone", "--quiet", "--bare", r.dir, dst)
	cmd.Env = testGitEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git clone --bare: %v\n%s", err, out)
	}
	return s.URL + "/" + path
}

// options are the options of a clone from s: the token and the CA, and
// a workspace directory of the test's own.
func (s *gitServer) options(t *testing.T, url string) CloneOptions {
	return CloneOptions{
		URL:     url,
		Env:     authEnv(testToken),
		CAFile:  s.caFile,
		Dir:     t.TempDir(),
		Timeout: time.Minute,
	}
}

// history is a test repository of three commits on main and one more on
// dev; it returns the commits of main, oldest first, and dev's tip.
func history(t *testing.T) (r *gitRepo, main []string, dev string) {
	r = newGitRepo(t)
	for i, content := range []string{"one\n", "two\n", "three\n"} {
		r.write("README.md", content)
		if i == 1 {
			r.write("dir/file.txt", "in a directory\n")
		}
		main = append(main, r.commit("commit "+content))
	}
	r.git("checkout", "-q", "-b", "dev")
	r.write("dev.txt", "dev\n")
	dev = r.commit("on dev")
	r.git("checkout", "-q", "main")
	return r, main, dev
}

// gitIn runs git in dir and returns its output.
func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = testGitEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// mustClone clones and registers the workspace's removal.
func mustClone(t *testing.T, o CloneOptions) *Workspace {
	t.Helper()
	ws, err := Clone(t.Context(), o)
	if err != nil {
		t.Fatalf("Clone: %v", err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

// assertEmpty fails unless dir holds nothing: a failed clone leaves no
// workspace behind.
func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("%s holds %d entries after a failed clone, want none", dir, len(entries))
	}
}

// assertNoToken fails if the message shows the token in any form.
func assertNoToken(t *testing.T, msg string) {
	t.Helper()
	basic := base64.StdEncoding.EncodeToString([]byte("oauth2:" + testToken))
	for _, s := range []string{testToken, basic, "Authorization"} {
		if strings.Contains(msg, s) {
			t.Errorf("error %q contains %q", msg, s)
		}
	}
}

func TestCloneShallow(t *testing.T) {
	s := newGitServer(t)
	r, main, _ := history(t)
	url := s.publish(t, r, "g/p.git")

	o := s.options(t, url)
	o.Depth = 1
	ws := mustClone(t, o)
	if diff := cmp.Diff(Workspace{Dir: ws.Dir, SHA: main[2], Branch: "main"}, *ws, cmp.AllowUnexported(Workspace{}), cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".root" }, cmp.Ignore())); diff != "" {
		t.Errorf("Workspace (-want +got):\n%s", diff)
	}
	if n := gitIn(t, ws.Dir, "rev-list", "--count", "HEAD"); n != "1" {
		t.Errorf("shallow clone has %s commits, want 1", n)
	}
	if b, err := os.ReadFile(filepath.Join(ws.Dir, "README.md")); err != nil || string(b) != "three\n" {
		t.Errorf("README.md = %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(ws.Dir, "dir", "file.txt")); err != nil {
		t.Error(err)
	}
	if got := gitIn(t, ws.Dir, "status", "--porcelain"); got != "" {
		t.Errorf("work tree is not clean: %s", got)
	}
	if got := gitIn(t, ws.Dir, "tag"); got != "" {
		t.Errorf("tags fetched: %s", got)
	}
	if s.tokenInURL.Load() {
		t.Error("the token was sent in a URL")
	}
	if s.requests.Load() == 0 {
		t.Error("no request carried the Authorization header")
	}

	root := filepath.Dir(ws.Dir)
	if err := ws.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(root); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("workspace still there after Close: %v", err)
	}
	if err := ws.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestCloneFull(t *testing.T) {
	s := newGitServer(t)
	r, main, dev := history(t)
	url := s.publish(t, r, "g/p.git")

	ws := mustClone(t, s.options(t, url))
	if ws.SHA != main[2] || ws.Branch != "main" {
		t.Errorf("got %s on %q, want %s on main", ws.SHA, ws.Branch, main[2])
	}
	if n := gitIn(t, ws.Dir, "rev-list", "--count", "HEAD"); n != "3" {
		t.Errorf("full clone has %s commits, want 3", n)
	}

	o := s.options(t, url)
	o.Ref = "dev"
	ws = mustClone(t, o)
	if ws.SHA != dev || ws.Branch != "dev" {
		t.Errorf("Ref dev: got %s on %q, want %s on dev", ws.SHA, ws.Branch, dev)
	}
	if n := gitIn(t, ws.Dir, "rev-list", "--count", "HEAD"); n != "4" {
		t.Errorf("dev has %s commits, want 4", n)
	}

	o.Ref = "refs/heads/dev"
	if ws := mustClone(t, o); ws.SHA != dev || ws.Branch != "dev" {
		t.Errorf("Ref refs/heads/dev: got %s on %q", ws.SHA, ws.Branch)
	}
}

func TestCloneDefaultBranch(t *testing.T) {
	s := newGitServer(t)
	r, _, dev := history(t)
	url := s.publish(t, r, "g/p.git")
	gitIn(t, filepath.Join(s.root, "g", "p.git"), "symbolic-ref", "HEAD", "refs/heads/dev")

	o := s.options(t, url)
	o.Depth = 1
	ws := mustClone(t, o)
	if ws.SHA != dev || ws.Branch != "dev" {
		t.Errorf("got %s on %q, want the remote HEAD: %s on dev", ws.SHA, ws.Branch, dev)
	}
}

func TestCloneSHA(t *testing.T) {
	s := newGitServer(t)
	r, main, _ := history(t)
	url := s.publish(t, r, "g/p.git")

	for _, depth := range []int{1, 0} {
		o := s.options(t, url)
		o.Depth = depth
		o.SHA = main[0]
		ws := mustClone(t, o)
		if ws.SHA != main[0] || ws.Branch != "main" {
			t.Errorf("depth %d: got %s on %q, want %s on main", depth, ws.SHA, ws.Branch, main[0])
		}
		if got := gitIn(t, ws.Dir, "rev-parse", "HEAD"); got != main[0] {
			t.Errorf("depth %d: HEAD is %s", depth, got)
		}
		if b, _ := os.ReadFile(filepath.Join(ws.Dir, "README.md")); string(b) != "one\n" {
			t.Errorf("depth %d: README.md = %q, want the first commit's", depth, b)
		}
	}

	o := s.options(t, url)
	o.Depth = 1
	o.SHA = strings.Repeat("ab", 20)
	_, err := Clone(t.Context(), o)
	t.Logf("error: %v", err)
	if !errors.Is(err, ErrRefNotFound) {
		t.Errorf("unknown SHA: error = %v, want ErrRefNotFound", err)
	}
	assertEmpty(t, o.Dir)
}

func TestCloneMissingBranch(t *testing.T) {
	s := newGitServer(t)
	r, _, _ := history(t)
	url := s.publish(t, r, "g/p.git")

	o := s.options(t, url)
	o.Ref = "no-such-branch"
	o.Depth = 1
	_, err := Clone(t.Context(), o)
	t.Logf("error: %v", err)
	if !errors.Is(err, ErrRefNotFound) || !strings.Contains(err.Error(), "no-such-branch does not exist") {
		t.Errorf("error = %v, want ErrRefNotFound naming the branch", err)
	}
	assertNoToken(t, err.Error())
	assertEmpty(t, o.Dir)
}

func TestCloneAuthentication(t *testing.T) {
	s := newGitServer(t)
	r, _, _ := history(t)
	url := s.publish(t, r, "g/p.git")

	for name, env := range map[string][]string{
		"wrong token": authEnv("glpat-WrongTokenValue99"),
		"no token":    nil,
	} {
		o := s.options(t, url)
		o.Env = env
		_, err := Clone(t.Context(), o)
		t.Logf("%s: error: %v", name, err)
		if !errors.Is(err, ErrAuthentication) {
			t.Errorf("%s: error = %v, want ErrAuthentication", name, err)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "source: clone "+url+": authentication failed: ") || !strings.Contains(msg, "read_repository") {
			t.Errorf("%s: error = %q, want the URL and a hint", name, msg)
		}
		if strings.Contains(msg, "WrongTokenValue") || strings.Contains(msg, base64.StdEncoding.EncodeToString([]byte("oauth2:glpat-WrongTokenValue99"))) {
			t.Errorf("%s: error %q shows the token", name, msg)
		}
		assertEmpty(t, o.Dir)
	}
}

func TestCloneRepositoryNotFound(t *testing.T) {
	s := newGitServer(t)
	o := s.options(t, s.URL+"/g/missing.git")
	_, err := Clone(t.Context(), o)
	t.Logf("error: %v", err)
	if !errors.Is(err, ErrRepositoryNotFound) {
		t.Errorf("error = %v, want ErrRepositoryNotFound", err)
	}
	assertNoToken(t, err.Error())
	assertEmpty(t, o.Dir)
}

func TestCloneEmptyRepository(t *testing.T) {
	s := newGitServer(t)
	gitIn(t, s.root, "init", "--quiet", "--bare", "empty.git")
	o := s.options(t, s.URL+"/empty.git")
	_, err := Clone(t.Context(), o)
	t.Logf("error: %v", err)
	if !errors.Is(err, ErrEmptyRepository) {
		t.Errorf("error = %v, want ErrEmptyRepository", err)
	}
	assertEmpty(t, o.Dir)
}

func TestCloneCertificate(t *testing.T) {
	s := newGitServer(t)
	r, _, _ := history(t)
	url := s.publish(t, r, "g/p.git")

	o := s.options(t, url)
	o.CAFile = ""
	_, err := Clone(t.Context(), o)
	t.Logf("error: %v", err)
	if !errors.Is(err, ErrCertificate) || !strings.Contains(err.Error(), "CA") {
		t.Errorf("error = %v, want ErrCertificate and a hint", err)
	}
	assertNoToken(t, err.Error())
	assertEmpty(t, o.Dir)
}

func TestCloneProxy(t *testing.T) {
	s := newGitServer(t)
	r, main, _ := history(t)
	url := s.publish(t, r, "g/p.git")

	var connects atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodConnect {
			connects.Add(1)
		}
		w.Header().Set("Proxy-Authenticate", `Basic realm="proxy"`)
		w.WriteHeader(http.StatusProxyAuthRequired)
	}))
	defer proxy.Close()
	proxyURL := strings.Replace(proxy.URL, "http://", "http://proxyuser:proxy-Secret-77@", 1)

	o := s.options(t, url)
	o.Proxy = proxyURL
	_, err := Clone(t.Context(), o)
	t.Logf("error: %v", err)
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "proxy") {
		t.Errorf("through a refusing proxy: error = %v, want ErrUnreachable naming the proxy", err)
	}
	if connects.Load() == 0 {
		t.Error("the proxy was not asked")
	}
	if err != nil && strings.Contains(err.Error(), "proxy-Secret-77") {
		t.Errorf("error %q shows the proxy password", err)
	}
	assertEmpty(t, o.Dir)

	connects.Store(0)
	o.NoProxy = "127.0.0.1"
	if ws := mustClone(t, o); ws.SHA != main[2] {
		t.Errorf("with NO_PROXY: got %s", ws.SHA)
	}
	if connects.Load() != 0 {
		t.Error("the proxy was asked for a host in NO_PROXY")
	}
}

func TestCloneTimeout(t *testing.T) {
	s := newGitServer(t)
	o := s.options(t, s.URL+"/hang/p.git")
	o.Timeout = time.Second
	start := time.Now()
	_, err := Clone(t.Context(), o)
	t.Logf("error: %v", err)
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "timed out after 1s") {
		t.Errorf("error = %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Clone returned after %v", d)
	}
	assertEmpty(t, o.Dir)
	// The server sees the connection closed: git's HTTP helper was killed
	// with git.
	select {
	case <-s.released:
	case <-time.After(10 * time.Second):
		t.Error("the hanging request's connection stayed open")
	}
}

func TestCloneCancel(t *testing.T) {
	s := newGitServer(t)
	o := s.options(t, s.URL+"/hang/p.git")
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(300*time.Millisecond, cancel)
	_, err := Clone(ctx, o)
	t.Logf("error: %v", err)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
	assertEmpty(t, o.Dir)
	select {
	case <-s.released:
	case <-time.After(10 * time.Second):
		t.Error("the hanging request's connection stayed open")
	}
}

func TestCloneMaxBytes(t *testing.T) {
	s := newGitServer(t)
	r := newGitRepo(t)
	// A megabyte of zeros: a pack of a few kilobytes, a large checkout.
	r.write("zeros.bin", strings.Repeat("\x00", 1<<20))
	sha := r.commit("zeros")
	url := s.publish(t, r, "g/p.git")

	for _, limit := range []int64{1, 512 << 10} {
		o := s.options(t, url)
		o.Depth = 1
		o.MaxBytes = limit
		_, err := Clone(t.Context(), o)
		t.Logf("error: %v", err)
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("MaxBytes %d: error = %v, want ErrTooLarge", limit, err)
		}
		assertEmpty(t, o.Dir)
	}
	o := s.options(t, url)
	o.MaxBytes = 4 << 20
	if ws := mustClone(t, o); ws.SHA != sha {
		t.Errorf("within MaxBytes: got %s", ws.SHA)
	}
}

func TestCloneRefusesOptions(t *testing.T) {
	for name, o := range map[string]CloneOptions{
		"user and token": {URL: "https://oauth2:" + testToken + "@gitlab.example/g/p.git"},
		"token as user":  {URL: "https://" + testToken + "@gitlab.example/g/p.git"},
		"ssh":            {URL: "ssh://git@gitlab.example/g/p.git"},
		"scp-like":       {URL: "git@gitlab.example:g/p.git"},
		"file":           {URL: "file:///srv/g/p.git"},
		"ext":            {URL: "ext::sh -c touch% /tmp/pwned"},
		"no host":        {URL: "https:///g/p.git"},
		"query":          {URL: "https://gitlab.example/g/p.git?private_token=" + testToken},
		"option ref":     {URL: "https://gitlab.example/g/p.git", Ref: "--upload-pack=touch /tmp/pwned"},
		"refspec ref":    {URL: "https://gitlab.example/g/p.git", Ref: "main:refs/heads/x"},
		"forced ref":     {URL: "https://gitlab.example/g/p.git", Ref: "+main"},
		"short SHA":      {URL: "https://gitlab.example/g/p.git", SHA: "abc123"},
		"negative depth": {URL: "https://gitlab.example/g/p.git", Depth: -1},
		"bad env":        {URL: "https://gitlab.example/g/p.git", Env: []string{"GIT_CONFIG_KEY_0=http.extraHeader"}},
	} {
		dir := t.TempDir()
		o.Dir = dir
		_, err := Clone(t.Context(), o)
		t.Logf("%s: error: %v", name, err)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if !strings.HasPrefix(err.Error(), "source: clone") {
			t.Errorf("%s: error = %q", name, err)
		}
		assertNoToken(t, err.Error())
		assertEmpty(t, dir)
	}
	_, err := Clone(t.Context(), CloneOptions{URL: "https://oauth2:" + testToken + "@gitlab.example/g/p.git"})
	if want := "source: clone https://gitlab.example/g/p.git: the URL carries credentials"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %v, want it to start with %q", err, want)
	}
}

// TestCloneNoRedirect: a clone whose server answers with a redirect
// fails; git never follows it, so nothing is fetched from where it points
// (the token is never sent there), and no workspace is left.
func TestCloneNoRedirect(t *testing.T) {
	s := newGitServer(t)
	r, _, _ := history(t)
	url := s.publish(t, r, "g/p.git")
	o := s.options(t, strings.Replace(url, "/g/p.git", "/moved/g/p.git", 1))
	ws, err := Clone(t.Context(), o)
	if err == nil {
		ws.Close()
		t.Fatal("the clone followed a redirect")
	}
	if n := s.requests.Load(); n != 0 {
		t.Errorf("%d requests reached the redirect's target", n)
	}
	assertEmpty(t, o.Dir)
}

func TestCloneArgs(t *testing.T) {
	o := CloneOptions{
		URL:     "https://gitlab.example/g/p.git",
		Env:     authEnv(testToken),
		CAFile:  "/etc/airlock/ca.pem",
		Proxy:   "http://proxyuser:proxy-Secret-77@proxy.example:3128",
		NoProxy: "gitlab.example",
		Depth:   1,
	}
	argvs := [][]string{
		gitArgs(fetchArgs(o.URL, "refs/heads/main", o.Depth)...),
		gitArgs(fetchArgs(o.URL, strings.Repeat("ab", 20), 0)...),
		gitArgs(lsRemoteArgs(o.URL)...),
	}
	for _, argv := range argvs {
		line := strings.Join(argv, " ")
		for _, secret := range []string{testToken, "Authorization", "proxy-Secret-77", "extraHeader", "proxy.example", "ca.pem"} {
			if strings.Contains(line, secret) {
				t.Errorf("argv %q contains %q", line, secret)
			}
		}
		for _, want := range []string{"protocol.allow=never", "protocol.https.allow=always", "core.hooksPath=/dev/null", "credential.helper=", "submodule.recurse=false", "http.followRedirects=false", "--end-of-options " + o.URL} {
			if !strings.Contains(line, want) {
				t.Errorf("argv %q lacks %q", line, want)
			}
		}
	}
	want := []string{"fetch", "--quiet", "--no-tags", "--no-recurse-submodules", "--no-write-commit-graph", "--depth=1", "--end-of-options", o.URL, "refs/heads/main"}
	if diff := cmp.Diff(want, fetchArgs(o.URL, "refs/heads/main", 1)); diff != "" {
		t.Errorf("fetchArgs (-want +got):\n%s", diff)
	}
	if got := fetchArgs(o.URL, "refs/heads/main", 0); strings.Contains(strings.Join(got, " "), "--depth") {
		t.Errorf("full clone: %q has a depth", got)
	}

	env, err := cloneEnv(o, "/ws/home", "/ws")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		vars[name] = value // the last one wins, as in exec
	}
	for name, want := range map[string]string{
		"GIT_CONFIG_COUNT":    "3",
		"GIT_CONFIG_KEY_0":    "http.extraHeader",
		"GIT_CONFIG_VALUE_0":  "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("oauth2:"+testToken)),
		"GIT_CONFIG_KEY_1":    "http.sslCAInfo",
		"GIT_CONFIG_VALUE_1":  "/etc/airlock/ca.pem",
		"GIT_CONFIG_KEY_2":    "http.proxy",
		"GIT_CONFIG_VALUE_2":  o.Proxy,
		"NO_PROXY":            "gitlab.example",
		"no_proxy":            "gitlab.example",
		"HOME":                "/ws/home",
		"GIT_CONFIG_NOSYSTEM": "1",
		"GIT_TERMINAL_PROMPT": "0",
	} {
		if vars[name] != want {
			t.Errorf("%s=%q, want %q", name, vars[name], want)
		}
	}
	for _, name := range []string{"HTTPS_PROXY", "https_proxy", "GIT_DIR", "SSH_ASKPASS"} {
		if _, ok := vars[name]; ok {
			t.Errorf("%s is in the environment", name)
		}
	}
}

func TestScrub(t *testing.T) {
	env := authEnv(testToken)
	env = append(env, "X_PRIVATE_TOKEN="+testToken+"-other")
	s := scrubber(env, "http://proxyuser:proxy-Secret-77@proxy.example:3128")
	basic := base64.StdEncoding.EncodeToString([]byte("oauth2:" + testToken))
	in := strings.Join([]string{
		"fatal: header Authorization: Basic " + basic,
		"sent " + basic,
		"token " + testToken,
		"other " + testToken + "-other",
		"proxy http://proxyuser:proxy-Secret-77@proxy.example:3128",
		"fatal: Authentication failed for 'https://gitlab.example/g/p.git/'",
	}, "\n")
	got := s.Replace(in)
	for _, secret := range []string{testToken, basic, "proxy-Secret-77", "Basic " + basic} {
		if strings.Contains(got, secret) {
			t.Errorf("scrubbed text %q still contains %q", got, secret)
		}
	}
	if !strings.Contains(got, "fatal: Authentication failed for 'https://gitlab.example/g/p.git/'") {
		t.Errorf("scrubbing changed other text: %q", got)
	}
}

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{max: 16}
	for range 10 {
		b.Write([]byte("a secret line\n"))
	}
	b.Write([]byte("fatal: last\n"))
	if got := b.String(); got != "fatal: last\n" {
		t.Errorf("String() = %q, want whole lines only", got)
	}
	if got := lastLines("hint: x\n\nremote: a\nerror: b\r\nfatal: c\nfatal: d\n"); got != ": error: b; fatal: c; fatal: d" {
		t.Errorf("lastLines = %q", got)
	}
}
