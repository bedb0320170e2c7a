package source

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/airlock-sec/airlock/internal/netx"
)

// CloneOptions says what Clone fetches, from where and how.
type CloneOptions struct {
	// URL is the http(s) clone URL. It must not carry credentials: pass
	// them in Env.
	URL string
	// Ref is the branch to clone, or a full ref name (refs/...); empty
	// means the remote's default branch (its HEAD).
	Ref string
	// SHA, when set, is the full id of the commit to check out instead of
	// the tip of Ref. It is fetched on its own when the clone of Ref does
	// not contain it.
	SHA string
	// Depth is the number of commits of history to fetch: 1 for a shallow
	// clone, 0 for the full history.
	Depth int
	// Dir is the directory in which the workspace, a new directory, is
	// created; os.TempDir() when empty.
	Dir string
	// Env is extra environment for git, as NAME=value. Credentials go
	// here, typically as GIT_CONFIG_COUNT, GIT_CONFIG_KEY_n and
	// GIT_CONFIG_VALUE_n entries setting http.extraHeader. Values never
	// appear in git's command line, and are removed from the git output
	// that errors quote.
	Env []string
	// CAFile is a PEM file of the CA certificates that git trusts for the
	// server (http.sslCAInfo) instead of the system's; empty for the
	// system's.
	CAFile string
	// Proxy is the URL of the HTTP proxy (http.proxy); empty for none.
	// The process's proxy variables are not used.
	Proxy string
	// NoProxy lists the hosts reached without the proxy, in NO_PROXY form.
	NoProxy string
	// Timeout bounds the whole clone; 10 minutes when zero.
	Timeout time.Duration
	// MaxBytes, when positive, bounds the size of the workspace: the
	// fetched history and the checked-out files.
	MaxBytes int64
	// GitPath is the git executable; "git" when empty.
	GitPath string
}

// DefaultCloneTimeout is the Timeout of a clone whose options set none.
const DefaultCloneTimeout = 10 * time.Minute

// Workspace is a checked-out clone. Close removes it.
type Workspace struct {
	// Dir is the top directory of the work tree. Symbolic links of the
	// repository are checked out as plain files holding the link's
	// target, so that nothing read in Dir leads outside it.
	Dir string
	// SHA is the full id of the commit checked out (HEAD, detached).
	SHA string
	// Branch is the branch cloned: Ref without refs/heads/, or the
	// remote's default branch when Ref was empty. It is empty when Ref
	// names a ref outside refs/heads (e.g. a merge request's head).
	Branch string

	root string // the directory Clone created: Dir and git's empty HOME
}

// Close removes the workspace. It may be called more than once.
func (w *Workspace) Close() error {
	if w.root == "" {
		return nil
	}
	if err := os.RemoveAll(w.root); err != nil {
		return fmt.Errorf("source: remove workspace: %w", err)
	}
	w.root = ""
	return nil
}

// The kinds of clone failures, wrapped by Clone's errors, whose messages
// add what to do about them.
var (
	ErrAuthentication     = errors.New("authentication failed")
	ErrRepositoryNotFound = errors.New("repository not found")
	ErrRefNotFound        = errors.New("ref not found")
	ErrEmptyRepository    = errors.New("repository is empty")
	ErrCertificate        = errors.New("TLS certificate problem")
	ErrUnreachable        = errors.New("server unreachable")
	ErrTimeout            = errors.New("timed out")
	ErrTooLarge           = errors.New("repository too large")
)

// Clone fetches a repository into a new workspace in o.Dir and checks out
// the commit asked for, with the git CLI.
//
// git runs in a pinned environment: no system or user configuration, an
// empty HOME, no prompts, http(s) transport only, no hooks, no submodules,
// no tags. Credentials come from o.Env only. When o.Timeout passes or ctx
// is done, every process git started is killed. On any failure the
// workspace is removed; the error names the URL and quotes the last lines
// git printed, with the values of o.Env removed, and wraps one of the Err
// kinds above when it is recognised (or ctx.Err()).
func Clone(ctx context.Context, o CloneOptions) (*Workspace, error) {
	c, err := newCloner(o)
	if err != nil {
		return nil, err
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultCloneTimeout
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	parent := o.Dir
	if parent == "" {
		parent = os.TempDir()
	}
	root, err := os.MkdirTemp(parent, "clone-")
	if err != nil {
		return nil, fmt.Errorf("%s: workspace: %w", c.prefix(), err)
	}
	ws, err := c.clone(tctx, root)
	if err != nil {
		_ = os.RemoveAll(root)
		switch {
		case ctx.Err() != nil:
			return nil, fmt.Errorf("%s: %w", c.prefix(), ctx.Err())
		case tctx.Err() != nil:
			return nil, fmt.Errorf("%s: %w after %v: raise the timeout, clone shallow (depth 1), or check the network and the proxy", c.prefix(), ErrTimeout, timeout)
		}
		return nil, c.explain(err)
	}
	return ws, nil
}

// cloner is one Clone call.
type cloner struct {
	o       CloneOptions
	git     string
	url     string   // o.URL, checked
	env     []string // git's whole environment, set by clone
	secrets *strings.Replacer
	dir     string // the work tree, once created
	stage   string // what is being fetched, for error messages
}

func newCloner(o CloneOptions) (*cloner, error) {
	display, err := checkCloneURL(o.URL)
	if err != nil {
		if display == "" {
			return nil, fmt.Errorf("source: clone: %w", err)
		}
		return nil, fmt.Errorf("source: clone %s: %w", display, err)
	}
	c := &cloner{o: o, git: o.GitPath, url: display}
	// Offline mode covers git too: a URL outside the configuration is
	// refused before git starts.
	if err := netx.CheckOffline(o.URL); err != nil {
		return nil, fmt.Errorf("%s: %w", c.prefix(), err)
	}
	if c.git == "" {
		c.git = "git"
	}
	switch {
	case o.Ref != "" && !validRef(o.Ref):
		return nil, fmt.Errorf("%s: %q is not a valid branch or ref name", c.prefix(), o.Ref)
	case o.SHA != "" && !validSHA(o.SHA):
		return nil, fmt.Errorf("%s: SHA %q is not a full commit id (40 or 64 hexadecimal characters)", c.prefix(), o.SHA)
	case o.Depth < 0:
		return nil, fmt.Errorf("%s: depth %d: want 0 (full history) or more", c.prefix(), o.Depth)
	}
	c.secrets = scrubber(o.Env, o.Proxy)
	return c, nil
}

func (c *cloner) prefix() string { return "source: clone " + c.url }

// checkCloneURL refuses what is not a plain http(s) URL. It returns the
// URL as error messages may show it (never with credentials; empty when it
// cannot be parsed).
func checkCloneURL(raw string) (display string, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", errors.New("the URL cannot be parsed: give the project's https clone URL")
	}
	shown := *u
	shown.User = nil
	shown.RawQuery, shown.ForceQuery, shown.Fragment, shown.RawFragment = "", false, "", ""
	display = shown.String()
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return display, errors.New("only https (or http) clone URLs are supported")
	case u.User != nil:
		return display, errors.New("the URL carries credentials: give the URL without them and pass the token as an http.extraHeader in the environment")
	case u.Host == "":
		return display, errors.New("the URL has no host")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return display, errors.New("a clone URL has no query or fragment")
	}
	return display, nil
}

// validRef accepts branch and ref names that git accepts, except for a few
// that would make them something else on git's command line: a leading '-'
// or '+', a ':' (refspec separator) or a pattern.
func validRef(ref string) bool {
	if ref == "" || ref[0] == '-' || ref[0] == '+' || ref[0] == '/' || strings.HasSuffix(ref, "/") ||
		strings.HasSuffix(ref, ".") || strings.HasSuffix(ref, ".lock") || ref == "@" ||
		strings.Contains(ref, "..") || strings.Contains(ref, "//") || strings.Contains(ref, "@{") ||
		strings.Contains(ref, "/.") || ref[0] == '.' {
		return false
	}
	for _, r := range ref {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(" ~^:?*[\\", r) {
			return false
		}
	}
	return true
}

func validSHA(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F') {
			return false
		}
	}
	return true
}

// clone does the work of Clone in root.
func (c *cloner) clone(ctx context.Context, root string) (*Workspace, error) {
	home := filepath.Join(root, "home")
	c.dir = filepath.Join(root, "repo")
	for _, d := range []string{home, c.dir} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return nil, err
		}
	}
	env, err := cloneEnv(c.o, home, root)
	if err != nil {
		return nil, err
	}
	c.env = env
	if err := c.run(ctx, nil, "init", "--quiet", "--template="); err != nil {
		return nil, err
	}

	ref, branch := c.o.Ref, ""
	switch {
	case ref == "":
		if ref, err = c.remoteHead(ctx); err != nil {
			return nil, err
		}
		branch, _ = strings.CutPrefix(ref, "refs/heads/")
	case strings.HasPrefix(ref, "refs/"):
		if b, ok := strings.CutPrefix(ref, "refs/heads/"); ok {
			branch = b
		}
	default:
		branch, ref = ref, "refs/heads/"+ref
	}
	c.stage = ref
	if err := c.fetch(ctx, ref); err != nil {
		return nil, err
	}
	target := "FETCH_HEAD"
	if sha := strings.ToLower(c.o.SHA); sha != "" {
		target = sha
		if c.run(ctx, nil, "cat-file", "-e", sha+"^{commit}") != nil {
			c.stage = "commit " + sha
			if err := c.fetch(ctx, sha); err != nil {
				return nil, err
			}
		}
	}
	sha, err := c.output(ctx, "rev-parse", "--verify", "--end-of-options", target+"^{commit}")
	if err != nil {
		return nil, err
	}
	if c.o.MaxBytes > 0 {
		if err := c.checkSize(ctx, sha); err != nil {
			return nil, err
		}
	}
	if err := c.run(ctx, nil, "checkout", "--quiet", "--detach", sha, "--"); err != nil {
		return nil, err
	}
	return &Workspace{Dir: c.dir, SHA: sha, Branch: branch, root: root}, nil
}

// remoteHead asks the remote which ref its HEAD points to.
func (c *cloner) remoteHead(ctx context.Context) (string, error) {
	c.stage = "HEAD"
	out, err := c.output(ctx, lsRemoteArgs(c.o.URL)...)
	if err != nil {
		return "", err
	}
	ref, found := parseRemoteHead(out)
	if !found {
		return "", errEmpty
	}
	return ref, nil
}

// parseRemoteHead reads `git ls-remote --symref URL HEAD`: the ref HEAD
// points to ("HEAD" itself when the server does not say), and whether
// HEAD exists at all (it does not in an empty repository).
func parseRemoteHead(out string) (ref string, found bool) {
	ref = "HEAD"
	for line := range strings.Lines(out) {
		left, name, _ := strings.Cut(strings.TrimSpace(line), "\t")
		if name != "HEAD" {
			continue
		}
		if target, ok := strings.CutPrefix(left, "ref: "); ok {
			ref = target
		} else {
			found = true
		}
	}
	return ref, found
}

// errEmpty is returned by remoteHead for a repository without commits.
var errEmpty = errors.New("empty")

// fetch fetches one ref or commit id, watching the repository's size when
// MaxBytes is set.
func (c *cloner) fetch(ctx context.Context, what string) error {
	args := fetchArgs(c.o.URL, what, c.o.Depth)
	if c.o.MaxBytes <= 0 {
		return c.run(ctx, nil, args...)
	}
	wctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	done := make(chan struct{})
	defer close(done)
	go func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if dirSize(filepath.Join(c.dir, ".git")) > c.o.MaxBytes {
					cancel(ErrTooLarge)
					return
				}
			}
		}
	}()
	err := c.run(wctx, nil, args...)
	if err != nil && errors.Is(context.Cause(wctx), ErrTooLarge) {
		return c.tooLarge()
	}
	if err == nil && dirSize(filepath.Join(c.dir, ".git")) > c.o.MaxBytes {
		return c.tooLarge()
	}
	return err
}

func (c *cloner) tooLarge() error {
	return fmt.Errorf("%w: more than %d bytes", ErrTooLarge, c.o.MaxBytes)
}

// checkSize refuses to check out commit sha when its files and the
// history fetched would not fit in MaxBytes.
func (c *cloner) checkSize(ctx context.Context, sha string) error {
	size := &treeSize{}
	if err := c.run(ctx, size, "ls-tree", "-r", "-l", "-z", "--end-of-options", sha); err != nil {
		return err
	}
	if size.bytes+dirSize(filepath.Join(c.dir, ".git")) > c.o.MaxBytes {
		return c.tooLarge()
	}
	return nil
}

// treeSize sums the blob sizes in the output of `git ls-tree -l -z`.
type treeSize struct {
	partial []byte
	bytes   int64
}

func (t *treeSize) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, 0)
		if i < 0 {
			t.partial = append(t.partial, p...)
			break
		}
		rec := p[:i]
		if len(t.partial) > 0 {
			rec = append(t.partial, rec...)
			t.partial = t.partial[:0]
		}
		head, _, _ := bytes.Cut(rec, []byte("\t"))
		if f := strings.Fields(string(head)); len(f) == 4 {
			if size, err := strconv.ParseInt(f[3], 10, 64); err == nil {
				t.bytes += size
			}
		}
		p = p[i+1:]
	}
	return n, nil
}

// dirSize is the total size of the files under dir, as far as it can be
// read (files come and go while git runs).
func dirSize(dir string) int64 {
	var total int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				total += fi.Size()
			}
		}
		return nil
	})
	return total
}

// output runs git and returns its standard output, trimmed.
func (c *cloner) output(ctx context.Context, args ...string) (string, error) {
	out := &limitedBuffer{max: 1 << 16}
	if err := c.run(ctx, out, args...); err != nil {
		return "", err
	}
	return strings.TrimSpace(out.String()), nil
}

// run runs git with the pinned options in the work tree.
func (c *cloner) run(ctx context.Context, stdout io.Writer, args ...string) error {
	cmd := exec.CommandContext(ctx, c.git, gitArgs(args...)...)
	cmd.Dir = c.dir
	cmd.Env = c.env
	cmd.Stdout = stdout
	stderr := &tailBuffer{max: stderrLimit}
	cmd.Stderr = stderr
	cmd.WaitDelay = 5 * time.Second
	killProcessGroup(cmd)
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			return gitStartError(c.git, err)
		}
		return &gitError{command: args[0], err: err, stderr: c.secrets.Replace(stderr.String())}
	}
	return nil
}

// gitError is a git command that failed, with what it printed.
type gitError struct {
	command string
	err     error
	stderr  string // scrubbed
}

func (e *gitError) Error() string {
	return "git " + e.command + ": " + e.err.Error() + lastLines(e.stderr)
}

// lastLines is the end of git's standard error for an error message: "",
// or ": " and its last few lines, joined by "; ".
func lastLines(stderr string) string {
	var lines []string
	for _, l := range strings.FieldsFunc(stderr, func(r rune) bool { return r == '\n' || r == '\r' }) {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "hint:") {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return ""
	}
	return ": " + strings.Join(lines[max(0, len(lines)-3):], "; ")
}

// explain turns a failure of clone into Clone's error.
func (c *cloner) explain(err error) error {
	if errors.Is(err, errEmpty) {
		return fmt.Errorf("%s: %w: push a first commit, or give a branch", c.prefix(), ErrEmptyRepository)
	}
	if errors.Is(err, ErrTooLarge) {
		return fmt.Errorf("%s: %w (limit %d bytes): raise the limit or clone shallow (depth 1)", c.prefix(), ErrTooLarge, c.o.MaxBytes)
	}
	var g *gitError
	if !errors.As(err, &g) {
		return fmt.Errorf("%s: %w", c.prefix(), err)
	}
	kind, hint := classify(g.stderr, c.stage, c.o)
	if kind == nil {
		return fmt.Errorf("%s: %w", c.prefix(), g)
	}
	return fmt.Errorf("%s: %w: %s%s", c.prefix(), kind, hint, lastLines(g.stderr))
}

// classify recognises common failures in git's standard error (which
// quotes curl's messages) and says what to do about them. stage is the ref
// or commit being fetched.
func classify(stderr, stage string, o CloneOptions) (kind error, hint string) {
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(stderr, s) {
				return true
			}
		}
		return false
	}
	switch {
	case has("SSL certificate problem", "server certificate verification failed", "certificate verify failed",
		"unable to get local issuer certificate", "self signed certificate", "self-signed certificate"):
		if o.CAFile != "" {
			return ErrCertificate, "the server's certificate is not signed by the CA certificates given; supply the CA that issued it"
		}
		return ErrCertificate, "the server's certificate is not trusted: supply the internal CA certificate that issued it"
	case has("Could not resolve proxy", "Received HTTP code 407 from proxy", "CONNECT tunnel failed", "Proxy CONNECT aborted",
		"Failed to connect to proxy", "Unsupported proxy"):
		return ErrUnreachable, "the proxy refused or could not be reached: check the proxy URL and its credentials, or list the host in NO_PROXY"
	case has("Could not resolve host"):
		return ErrUnreachable, "the host name does not resolve: check the URL and DNS, or set a proxy"
	case has("Failed to connect to", "Connection refused", "Connection timed out", "Operation timed out", "Couldn't connect to server"):
		return ErrUnreachable, "the server cannot be reached from this machine: check the firewall, the proxy and NO_PROXY"
	case has("Authentication failed", "could not read Username", "could not read Password", "returned error: 401"):
		if len(o.Env) == 0 {
			return ErrAuthentication, "the server wants credentials: pass a token with the read_repository scope in an http.extraHeader"
		}
		return ErrAuthentication, "the token was refused: check that it is not revoked or expired and has the read_repository scope"
	case has("returned error: 403"):
		return ErrAuthentication, "the token's user may not read this repository's code: it needs the read_repository scope and at least Reporter access"
	case has("couldn't find remote ref", "not our ref", "no such remote ref", "unadvertised object"):
		if strings.HasPrefix(stage, "commit ") {
			return ErrRefNotFound, stage + " is not on the server (or the server does not allow fetching a commit by id)"
		}
		return ErrRefNotFound, strings.TrimPrefix(stage, "refs/heads/") + " does not exist in the repository: check the branch name"
	case has("not found", "returned error: 404"):
		return ErrRepositoryNotFound, "check the URL and that the token's user can see the project"
	}
	return nil, ""
}

// pinnedConfig is the configuration every git command of a clone runs
// with, on its command line: nothing in it is secret.
var pinnedConfig = []string{
	"protocol.allow=never", // then only:
	"protocol.https.allow=always",
	"protocol.http.allow=always",
	"protocol.version=2",
	// A redirect could send the clone, and its credentials, elsewhere.
	"http.followRedirects=false",
	"core.hooksPath=/dev/null",
	"core.symlinks=false",
	"core.fsmonitor=false",
	"credential.helper=",
	"submodule.recurse=false",
	"fetch.recurseSubmodules=false",
	"advice.detachedHead=false",
	"init.defaultBranch=main",
	"gc.auto=0",
	"maintenance.auto=false",
}

// gitArgs is the command line of one git command of a clone: the pinned
// configuration, then args.
func gitArgs(args ...string) []string {
	out := make([]string, 0, 2*len(pinnedConfig)+len(args))
	for _, kv := range pinnedConfig {
		out = append(out, "-c", kv)
	}
	return append(out, args...)
}

// fetchArgs fetches one ref or commit id (into FETCH_HEAD) from url.
func fetchArgs(url, what string, depth int) []string {
	args := []string{"fetch", "--quiet", "--no-tags", "--no-recurse-submodules", "--no-write-commit-graph"}
	if depth > 0 {
		args = append(args, "--depth="+strconv.Itoa(depth))
	}
	return append(args, "--end-of-options", url, what)
}

// lsRemoteArgs asks url which ref its HEAD points to.
func lsRemoteArgs(url string) []string {
	return []string{"ls-remote", "--symref", "--end-of-options", url, "HEAD"}
}

// cloneEnv is the whole environment of a clone's git commands: PATH and
// TMPDIR from the process, the caller's o.Env, and the pinned variables
// (which win). The caller's GIT_CONFIG_COUNT entries are renumbered
// together with those for o.CAFile and o.Proxy.
func cloneEnv(o CloneOptions, home, ceiling string) ([]string, error) {
	var env []string
	for _, name := range []string{"PATH", "TMPDIR", "SYSTEMROOT"} {
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	config, rest, err := splitConfigEnv(o.Env)
	if err != nil {
		return nil, err
	}
	env = append(env, rest...)
	if o.CAFile != "" {
		config = append(config, [2]string{"http.sslCAInfo", o.CAFile})
	}
	if o.Proxy != "" {
		config = append(config, [2]string{"http.proxy", o.Proxy})
	}
	env = append(env, "NO_PROXY="+o.NoProxy, "no_proxy="+o.NoProxy)
	env = append(env, "GIT_CONFIG_COUNT="+strconv.Itoa(len(config)))
	for i, kv := range config {
		env = append(env, fmt.Sprintf("GIT_CONFIG_KEY_%d=%s", i, kv[0]), fmt.Sprintf("GIT_CONFIG_VALUE_%d=%s", i, kv[1]))
	}
	env = append(env,
		"HOME="+home,
		"XDG_CONFIG_HOME="+home,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL="+os.DevNull,
		"GIT_CEILING_DIRECTORIES="+ceiling,
		"GIT_TERMINAL_PROMPT=0",
		"GIT_ASKPASS=true",
		"GCM_INTERACTIVE=never",
		"LC_ALL=C",
	)
	return env, nil
}

// splitConfigEnv separates the GIT_CONFIG_COUNT/KEY/VALUE entries of env,
// returned as key-value pairs, from the other entries.
func splitConfigEnv(env []string) (config [][2]string, rest []string, err error) {
	vars := map[string]string{}
	for i, kv := range env {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return nil, nil, fmt.Errorf("environment entry %d is not NAME=value", i+1)
		}
		if name == "GIT_CONFIG_COUNT" || strings.HasPrefix(name, "GIT_CONFIG_KEY_") || strings.HasPrefix(name, "GIT_CONFIG_VALUE_") {
			vars[name] = value
			continue
		}
		rest = append(rest, kv)
	}
	if len(vars) == 0 {
		return nil, rest, nil
	}
	n, err := strconv.Atoi(vars["GIT_CONFIG_COUNT"])
	if err != nil || n < 0 {
		return nil, nil, errors.New("environment: GIT_CONFIG_KEY_n and GIT_CONFIG_VALUE_n need a GIT_CONFIG_COUNT")
	}
	for i := range n {
		k, kok := vars["GIT_CONFIG_KEY_"+strconv.Itoa(i)]
		v, vok := vars["GIT_CONFIG_VALUE_"+strconv.Itoa(i)]
		if !kok || !vok || k == "" {
			return nil, nil, fmt.Errorf("environment: GIT_CONFIG_COUNT is %d but GIT_CONFIG_KEY_%d or GIT_CONFIG_VALUE_%d is missing", n, i, i)
		}
		config = append(config, [2]string{k, v})
	}
	if len(vars) != 1+2*n {
		return nil, nil, fmt.Errorf("environment: more GIT_CONFIG_KEY_n or GIT_CONFIG_VALUE_n entries than GIT_CONFIG_COUNT (%d)", n)
	}
	return config, rest, nil
}

// scrubber replaces, in git's output, the secrets that env and proxy may
// hold: each value of env (except configuration key names), its words of
// 8 characters or more (a header's credentials), the password of a Basic
// credential given as base64, and the proxy's password.
func scrubber(env []string, proxy string) *strings.Replacer {
	var secrets []string
	add := func(s string) {
		if len(s) >= 6 {
			secrets = append(secrets, s)
		}
	}
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		if name == "GIT_CONFIG_COUNT" || strings.HasPrefix(name, "GIT_CONFIG_KEY_") {
			continue
		}
		add(value)
		for _, w := range strings.Fields(value) {
			if len(w) < 8 {
				continue
			}
			add(w)
			if b, err := base64.StdEncoding.DecodeString(w); err == nil {
				if _, pw, ok := strings.Cut(string(b), ":"); ok {
					add(pw)
				}
			}
		}
	}
	if u, err := url.Parse(proxy); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok {
			add(pw)
			add(url.QueryEscape(pw))
		}
		add(u.User.Username())
	}
	// Longest first, so that a secret containing another is replaced whole.
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	secrets = slices.Compact(secrets)
	pairs := make([]string, 0, 2*len(secrets))
	for _, s := range secrets {
		pairs = append(pairs, s, "[REDACTED]")
	}
	return strings.NewReplacer(pairs...)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	buf []byte
	max int
	cut bool
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.buf = append(b.buf, p...)
	if len(b.buf) > 2*b.max {
		b.buf = append(b.buf[:0], b.buf[len(b.buf)-b.max:]...)
		b.cut = true
	}
	return len(p), nil
}

// String is the text kept, starting at a line boundary when the start was
// dropped (a cut line could hold part of a secret that scrubbing would
// then miss).
func (b *tailBuffer) String() string {
	s := b.buf
	cut := b.cut
	if len(s) > b.max {
		s, cut = s[len(s)-b.max:], true
	}
	if cut {
		if i := bytes.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		} else {
			s = nil
		}
	}
	return string(s)
}
