package tunnel

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab"
	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/netx"
	"github.com/airlock-sec/airlock/internal/source"
)

// BenchmarkClone clones a 48 MiB repository (incompressible files) from
// the GitLab stand-in directly and through the agent (the server's relay,
// the tunnel, the agent), on loopback.
func BenchmarkClone(b *testing.B) {
	gl := gitlabtest.New(b)
	u := gl.AddUser(gitlabtest.User{Username: "airlock-bot"})
	gl.AddToken(gitlabtest.Token{UserID: u.ID, Value: testToken, Scopes: []string{"api"}})
	p := gl.AddProject(gitlabtest.Project{Path: "team/big", Members: map[int]gitlabtest.AccessLevel{u.ID: gitlabtest.Maintainer}})
	files := map[string]string{}
	for i := range 48 {
		buf := make([]byte, 1<<20)
		rand.Read(buf)
		files[fmt.Sprintf("bin/%02d.bin", i)] = string(buf)
	}
	gl.InitRepo(p, files)
	b.Run("direct", func(b *testing.B) {
		base, _ := url.Parse(gl.URL)
		for b.Loop() {
			ws, err := source.Clone(context.Background(), source.CloneOptions{URL: gl.URL + "/team/big.git", Depth: 1, Dir: b.TempDir(), Env: gitlab.GitAuthEnv(base, testToken, gitlab.TokenPersonal)})
			if err != nil {
				b.Fatal(err)
			}
			ws.Close()
		}
	})
	b.Run("agent", func(b *testing.B) {
		_, relay, stop := benchTunnel(b, gl)
		defer stop()
		base, _ := url.Parse(relay.URL)
		env, _ := relay.GitEnv(gitlab.GitAuthEnv(base, testToken, gitlab.TokenPersonal))
		for b.Loop() {
			ws, err := source.Clone(context.Background(), source.CloneOptions{URL: relay.CloneURL("dc1", "team/big"), Depth: 1, Dir: b.TempDir(), Env: env})
			if err != nil {
				b.Fatal(err)
			}
			ws.Close()
		}
	})
}

// BenchmarkConcurrentAPI: 200 concurrent GitLab API calls through one
// agent, per iteration.
func BenchmarkConcurrentAPI(b *testing.B) {
	gl := gitlabtest.New(b)
	u := gl.AddUser(gitlabtest.User{Username: "airlock-bot"})
	gl.AddToken(gitlabtest.Token{UserID: u.ID, Value: testToken, Scopes: []string{"api"}})
	hub, _, stop := benchTunnel(b, gl)
	defer stop()
	hc := &http.Client{Transport: hub.Transport("dc1", gl.URL)}
	for b.Loop() {
		var wg sync.WaitGroup
		errs := make(chan error, 200)
		for range 200 {
			wg.Go(func() {
				req, _ := http.NewRequest("GET", gl.URL+"/api/v4/user", nil)
				req.Header.Set("PRIVATE-TOKEN", testToken)
				resp, err := hc.Do(req)
				if err != nil {
					errs <- err
					return
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- fmt.Errorf("status %s", resp.Status)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
	}
}

// benchTunnel is a hub behind a loopback server, its relay, and one
// agent connected to it.
func benchTunnel(tb testing.TB, gl *gitlabtest.Server) (*Hub, *Relay, func()) {
	hub, err := NewHub(HubConfig{Authenticate: func(context.Context, string) (string, error) { return "dc1", nil }})
	if err != nil {
		tb.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+ConnectPath, hub)
	srv := httptest.NewServer(mux)
	relay, err := hub.StartRelay()
	if err != nil {
		tb.Fatal(err)
	}
	serverClient, _ := netx.NewClient(netx.Config{Allow: []string{srv.Listener.Addr().String()}})
	gitlabClient, _ := netx.NewClient(netx.Config{Allow: []string{strings.TrimPrefix(gl.URL, "http://")}})
	a, err := NewAgent(AgentConfig{Server: srv.URL, Key: "k", GitLabURL: gl.URL, ServerClient: serverClient, GitLabClient: gitlabClient})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		a.Run(ctx)
		close(done)
	}()
	for len(hub.Agents("dc1")) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	return hub, relay, func() {
		cancel()
		<-done
		relay.Close()
		hub.Close()
		srv.Close()
	}
}
