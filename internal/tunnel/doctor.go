package tunnel

import (
	"context"
	"errors"
	"fmt"
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
	add("GitLab token", err, fmt.Sprintf("user %s, scopes %s", chk.Username, strings.Join(chk.Scopes, ", ")), fix)
	return out
}
