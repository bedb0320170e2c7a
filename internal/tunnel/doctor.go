package tunnel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/airlock-sec/airlock/internal/gitlab"
	"github.com/airlock-sec/airlock/internal/netx"
)

// DoctorCheck is one step of airlock agent doctor.
type DoctorCheck struct {
	Name   string
	OK     bool
	Detail string
	// Fix says what to do when the check failed.
	Fix string
}

// Doctor checks, in order, what an agent needs: the server's name, a
// connection to it (proxy CONNECT, TLS with the given CA), the WebSocket
// upgrade with the key, GitLab's reachability from the agent and, when
// the agent holds a token, the token. Each failed check says the fix.
func (a *Agent) Doctor(ctx context.Context) []DoctorCheck {
	var out []DoctorCheck
	add := func(name string, err error, detail, fix string) bool {
		c := DoctorCheck{Name: name, OK: err == nil, Detail: detail}
		if err != nil {
			c.Detail = err.Error()
			c.Fix = fix
			if hint, ok := netx.Explain(err); ok && fix == "" {
				c.Fix = hint
			}
		}
		out = append(out, c)
		return err == nil
	}
	su, _ := url.Parse(a.c.Server)
	addrs, err := net.DefaultResolver.LookupHost(ctx, su.Hostname())
	add("server name resolves", err, strings.Join(addrs, ", "),
		"the name does not resolve on this machine: fine if the agent reaches the server through a proxy that resolves it; otherwise fix DNS")

	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(cctx, http.MethodGet, strings.TrimRight(a.c.Server, "/")+"/healthz", nil)
	resp, err := a.c.ServerClient.Do(req)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("GET /healthz answered %s", resp.Status)
		}
	}
	if !add("server reachable (proxy, TLS, CA)", err, "GET /healthz: 200", "") {
		return out
	}

	h := http.Header{}
	h.Set("Authorization", "Bearer "+a.c.Key)
	h.Set(VersionHeader, a.c.Version)
	ws, wresp, err := websocket.Dial(cctx, a.connect, &websocket.DialOptions{HTTPClient: a.c.ServerClient, HTTPHeader: h})
	if err != nil && wresp != nil {
		err = handshakeError(wresp, err)
	}
	if err == nil {
		ws.Close(websocket.StatusNormalClosure, "doctor")
	}
	fix := ""
	if errors.Is(err, ErrRefused) {
		fix = "create a key with POST /api/v1/agent-keys and give it with --key; upgrade the agent if the versions differ"
	}
	add("WebSocket upgrade with the key", err, "accepted", fix)

	greq, _ := http.NewRequestWithContext(cctx, http.MethodGet, a.gitlab.String()+"/api/v4/version", nil)
	gresp, err := a.c.GitLabClient.Do(greq)
	if err == nil {
		gresp.Body.Close()
		if gresp.StatusCode != http.StatusOK && gresp.StatusCode != http.StatusUnauthorized {
			err = fmt.Errorf("GET /api/v4/version answered %s: is %s GitLab's root URL?", gresp.Status, a.gitlab)
		}
	}
	if !add("GitLab reachable", err, "GET /api/v4/version answered", "") || a.c.GitLabToken == "" {
		return out
	}
	gl, err := gitlab.New(gitlab.Config{BaseURL: a.gitlab.String(), Token: a.c.GitLabToken, HTTPClient: a.c.GitLabClient, Retries: -1})
	var chk gitlab.Check
	if err == nil {
		chk, err = gl.Check(cctx)
	}
	fix = ""
	if ge, ok := errors.AsType[*gitlab.Error](err); ok {
		fix = ge.Hint
	}
	if !add("GitLab token", err, fmt.Sprintf("user %s, scopes %s", chk.Username, strings.Join(chk.Scopes, ", ")), fix) {
		return out
	}
	detail, fix, err := a.lsRemote(cctx, gl)
	add("git ls-remote", err, detail, fix)
	return out
}

// errFound stops the project listing at the first repository to try.
var errFound = errors.New("found")

// lsRemote does what git ls-remote does over smart HTTP — GET
// <project>.git/info/refs?service=git-upload-pack — on the agent's GitLab
// leg with the agent's token, for the first non-empty project the token
// can read, and checks that the allowlist lets the server's clones of it
// through. It returns the detail, and the fix when it fails.
func (a *Agent) lsRemote(ctx context.Context, gl *gitlab.Client) (detail, fix string, err error) {
	var p gitlab.Project
	err = gl.Projects(ctx, func(q gitlab.Project) error {
		if q.EmptyRepo || q.AccessLevel < gitlab.Reporter {
			return nil
		}
		p = q
		return errFound
	})
	if err != nil && !errors.Is(err, errFound) {
		return "", "", fmt.Errorf("list projects: %w", err)
	}
	if p.PathWithNamespace == "" {
		return "", "give the token's user Reporter access (or more) to a project with commits",
			errors.New("the token reaches no project with commits at Reporter access or more: nothing to clone")
	}
	path := a.gitlab.Path + "/" + p.PathWithNamespace + ".git/info/refs"
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		probe := "/" + p.PathWithNamespace + ".git/info/refs"
		if m == http.MethodPost {
			probe = "/" + p.PathWithNamespace + ".git/git-upload-pack"
		}
		if !a.c.Allowlist.Allows(m, (&url.URL{Path: probe}).EscapedPath()) {
			return "", "add \"" + m + " " + probe + "\" (or the default git lines) to the agent's --allowlist",
				fmt.Errorf("the agent's allowlist refuses %s %s: the server could not clone %s", m, probe, p.PathWithNamespace)
		}
	}
	u := *a.gitlab
	u.Path, u.RawPath = path, ""
	u.RawQuery = "service=git-upload-pack"
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	req.SetBasicAuth("airlock", a.c.GitLabToken)
	req.Header.Set("Git-Protocol", "version=2")
	resp, err := a.c.GitLabClient.Do(req)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return "", "give the token the read_repository (or api) scope and its user Reporter access",
			fmt.Errorf("%s: GitLab answered %s to git", p.PathWithNamespace, resp.Status)
	case resp.StatusCode != http.StatusOK:
		return "", "check --gitlab-url: git's URLs are under it",
			fmt.Errorf("%s: GitLab answered %s to git", p.PathWithNamespace, resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-git-upload-pack-advertisement" {
		return "", "a proxy or login page answers instead of GitLab's git service; set --gitlab-proxy (or NO_PROXY) so that the agent reaches GitLab directly",
			fmt.Errorf("%s: not a git answer (Content-Type %q)", p.PathWithNamespace, ct)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", "", fmt.Errorf("%s: reading git's answer: %w", p.PathWithNamespace, err)
	}
	if !bytes.Contains(b, []byte("# service=git-upload-pack")) && !bytes.HasPrefix(b[min(4, len(b)):], []byte("version 2")) {
		return "", "", fmt.Errorf("%s: git's answer has no service advertisement", p.PathWithNamespace)
	}
	return fmt.Sprintf("%s: refs advertised (%d bytes)", p.PathWithNamespace, len(b)), "", nil
}
