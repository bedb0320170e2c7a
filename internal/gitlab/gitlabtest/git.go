package gitlabtest

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// GitLab's git-over-HTTP refusals (plain text).
const (
	msgNotFound   = "The project you were looking for could not be found or you don't have permission to view it."
	msgNoDownload = "You are not allowed to download code from this project."
	msgNoPush     = "You are not allowed to push code to this project."
	msgArchived   = "You can't push code to an archived project."
	msgProtected  = "GitLab: You are not allowed to push code to protected branches on this project."
)

// preReceive refuses updates of protected branches unless the pusher may
// push to them. The stand-in passes both facts in the environment of each
// push: GITLABTEST_PROTECTED (the protected refs, space-separated) and
// GITLABTEST_PUSH_PROTECTED (1 for Maintainers and up).
const preReceive = `#!/bin/sh
[ "$GITLABTEST_PUSH_PROTECTED" = 1 ] && exit 0
status=0
while read old new ref; do
	for p in $GITLABTEST_PROTECTED; do
		if [ "$ref" = "$p" ]; then
			echo "` + msgProtected + `" >&2
			status=1
		fi
	done
done
exit $status
`

// commitTime is the author and committer date of InitRepo's commits, so
// that their ids are the same on every run.
const commitTime = "1709294400 +0000"

func requireGit(t tb, s *Server) {
	t.Helper()
	if s.gitExec == "" {
		t.Skip("gitlabtest: git is not installed; repositories need the git CLI and git-http-backend")
	}
}

// gitEnv is a clean environment for git commands the stand-in runs itself.
func (s *Server) gitEnv(extra ...string) []string {
	return append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + s.repoDir,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=gitlabtest", "GIT_AUTHOR_EMAIL=gitlabtest@example.com",
		"GIT_COMMITTER_NAME=gitlabtest", "GIT_COMMITTER_EMAIL=gitlabtest@example.com",
	}, extra...)
}

func (s *Server) git(stdin []byte, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Env = s.gitEnv()
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, errb.String())
	}
	return strings.TrimSpace(out.String()), nil
}

// repoPath is the bare repository of the project.
func (s *Server) repoPath(p *Project) string {
	return filepath.Join(s.repoDir, filepath.FromSlash(p.Path)+".git")
}

// ensureRepo creates the project's bare repository, with the protected
// branch hook, if it does not exist yet. Called with s.mu held.
func (s *Server) ensureRepo(p *Project) error {
	if s.repos[p.ID] {
		return nil
	}
	dir := s.repoPath(p)
	if _, err := s.git(nil, "init", "--quiet", "--bare", "--initial-branch="+p.DefaultBranch, dir); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "hooks", "pre-receive"), []byte(preReceive), 0o755); err != nil {
		return err
	}
	s.repos[p.ID] = true
	return nil
}

// InitRepo commits files (path → content) to the project's default branch
// as one commit whose tree holds exactly those files, creating the bare
// repository if needed, and returns the commit id. A second call adds a
// commit on top. The test is skipped when git is not installed.
func (s *Server) InitRepo(p *Project, files map[string]string) (sha string) {
	s.t.Helper()
	requireGit(s.t, s)
	s.mu.Lock()
	defer s.mu.Unlock()
	p = s.projects[p.ID]
	if p == nil {
		s.t.Fatalf("gitlabtest: InitRepo: unknown project")
	}
	s.filled[p.ID] = true
	if err := s.ensureRepo(p); err != nil {
		s.t.Fatalf("gitlabtest: InitRepo %s: %v", p.Path, err)
	}
	dir := s.repoPath(p)
	ref := "refs/heads/" + p.DefaultBranch
	parent, _ := s.git(nil, "--git-dir="+dir, "rev-parse", "--verify", "--quiet", ref)

	var stream bytes.Buffer
	data := func(b string) { fmt.Fprintf(&stream, "data %d\n%s\n", len(b), b) }
	fmt.Fprintf(&stream, "commit %s\n", ref)
	fmt.Fprintf(&stream, "author gitlabtest <gitlabtest@example.com> %s\n", commitTime)
	fmt.Fprintf(&stream, "committer gitlabtest <gitlabtest@example.com> %s\n", commitTime)
	data("gitlabtest: " + p.Path + "\n")
	if parent != "" {
		fmt.Fprintf(&stream, "from %s\n", parent)
	}
	stream.WriteString("deleteall\n")
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if name == "" || strings.ContainsAny(name, "\n\x00") || strings.HasPrefix(name, `"`) || strings.HasPrefix(name, "/") {
			s.t.Fatalf("gitlabtest: InitRepo: unsupported file name %q", name)
		}
		fmt.Fprintf(&stream, "M 100644 inline %s\n", name)
		data(files[name])
	}
	stream.WriteString("done\n")
	if _, err := s.git(stream.Bytes(), "--git-dir="+dir, "fast-import", "--quiet", "--done"); err != nil {
		s.t.Fatalf("gitlabtest: InitRepo %s: %v", p.Path, err)
	}
	sha, err := s.git(nil, "--git-dir="+dir, "rev-parse", ref)
	if err != nil {
		s.t.Fatalf("gitlabtest: InitRepo %s: %v", p.Path, err)
	}
	return sha
}

// gitRequest is what a git smart-HTTP request asks for.
type gitRequest struct {
	project string // full path, without .git
	push    bool
}

// parseGitRequest recognises the smart-HTTP requests: info/refs with a
// service, and the two service POSTs.
func parseGitRequest(r *http.Request) (gitRequest, bool) {
	i := strings.Index(r.URL.Path, ".git/")
	if i <= 1 {
		return gitRequest{}, false
	}
	g := gitRequest{project: r.URL.Path[1:i]}
	switch rest := r.URL.Path[i+len(".git/"):]; {
	case rest == "info/refs" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		switch r.URL.Query().Get("service") {
		case "git-upload-pack":
		case "git-receive-pack":
			g.push = true
		default:
			return gitRequest{}, false
		}
	case rest == "git-upload-pack" && r.Method == http.MethodPost:
	case rest == "git-receive-pack" && r.Method == http.MethodPost:
		g.push = true
	default:
		return gitRequest{}, false
	}
	return g, true
}

// serveGit answers git smart HTTP with git http-backend, after GitLab's
// checks: Basic auth with a token as password (username "oauth2" for OAuth
// tokens), the token's scopes, and the user's role on the project — Reporter
// to read a private project, Developer to push, and Maintainer to push to a
// protected default branch (enforced by a pre-receive hook, so the push is
// refused per ref as GitLab does).
func (s *Server) serveGit(w http.ResponseWriter, r *http.Request) {
	g, ok := parseGitRequest(r)
	if !ok {
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	}
	if s.gitExec == "" {
		http.Error(w, "gitlabtest: git is not installed", http.StatusInternalServerError)
		return
	}
	s.mu.Lock()
	env, user, p, status, msg := s.authorizeGit(r, g)
	s.mu.Unlock()
	switch status {
	case http.StatusOK:
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Basic realm="GitLab"`)
		http.Error(w, "HTTP Basic: Access denied", status)
		return
	default:
		http.Error(w, msg, status)
		return
	}
	h := &cgi.Handler{
		Path:   s.gitExec,
		Dir:    s.repoDir,
		Env:    env,
		Stderr: testLog{s.t},
	}
	if !g.push || r.Method != http.MethodPost {
		h.ServeHTTP(w, r)
		return
	}
	// A push: the refs it changed fire the project's hooks, as GitLab's
	// post-receive does.
	s.pushMu.Lock()
	defer s.pushMu.Unlock()
	before := s.refSnapshot(p)
	h.ServeHTTP(w, r)
	s.afterPush(p, user, diffRefs(before, s.refSnapshot(p)))
}

// authorizeGit decides a git request. It returns the environment for git
// http-backend, the user (nil: anonymous), the project and 200, or the
// status and message of the refusal. Called with s.mu held.
func (s *Server) authorizeGit(r *http.Request, g gitRequest) (env []string, user *User, p *Project, status int, msg string) {
	var tok *Token
	if name, pw, ok := r.BasicAuth(); ok {
		tok = s.tokens[pw]
		if tok == nil || tok.Revoked || expired(tok, s.now()) || (tok.OAuth && name != "oauth2") || s.users[tok.UserID] == nil {
			return nil, nil, nil, http.StatusUnauthorized, ""
		}
		if !hasScope(tok, ScopeAPI, ScopeReadAPI, ScopeReadRepository, ScopeWriteRepository) {
			return nil, nil, nil, http.StatusUnauthorized, ""
		}
		user = s.users[tok.UserID]
		s.lastUsed[tok.ID] = s.now()
	}
	p = s.byPath[g.project]
	if p == nil || !visible(user, p) {
		if user == nil {
			return nil, nil, nil, http.StatusUnauthorized, ""
		}
		return nil, nil, nil, http.StatusNotFound, msgNotFound
	}
	if g.push {
		if user == nil {
			return nil, nil, nil, http.StatusUnauthorized, ""
		}
		if !hasScope(tok, ScopeAPI, ScopeWriteRepository) || access(user, p) < Developer {
			return nil, nil, nil, http.StatusForbidden, msgNoPush
		}
		if p.Archived {
			return nil, nil, nil, http.StatusForbidden, msgArchived
		}
	} else {
		if !canReadCode(user, p) {
			if user == nil {
				return nil, nil, nil, http.StatusUnauthorized, ""
			}
			return nil, nil, nil, http.StatusForbidden, msgNoDownload
		}
		if tok != nil && !hasScope(tok, ScopeAPI, ScopeReadAPI, ScopeReadRepository) {
			return nil, nil, nil, http.StatusForbidden, msgNoDownload
		}
	}
	if err := s.ensureRepo(p); err != nil {
		return nil, nil, nil, http.StatusInternalServerError, err.Error()
	}
	protected := ""
	if !p.DefaultBranchUnprotected {
		protected = "refs/heads/" + p.DefaultBranch
	}
	pushProtected := "0"
	if access(user, p) >= Maintainer {
		pushProtected = "1"
	}
	remoteUser := "anonymous"
	if user != nil {
		remoteUser = user.Username
	}
	env = s.gitEnv(
		"GIT_PROJECT_ROOT="+s.repoDir,
		"GIT_HTTP_EXPORT_ALL=1",
		"REMOTE_USER="+remoteUser,
		"GIT_CONFIG_COUNT=1",
		"GIT_CONFIG_KEY_0=http.receivepack",
		"GIT_CONFIG_VALUE_0=true",
		"GITLABTEST_PROTECTED="+protected,
		"GITLABTEST_PUSH_PROTECTED="+pushProtected,
	)
	return env, user, p, http.StatusOK, ""
}

// testLog sends git http-backend's standard error to the test log.
type testLog struct{ t tb }

func (l testLog) Write(b []byte) (int, error) {
	l.t.Logf("gitlabtest: git http-backend: %s", bytes.TrimSpace(b))
	return len(b), nil
}
