package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/netx"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
)

// TestOfflineDests: offline mode's destinations are the static ones
// (mirrors, data locations, the relay) and the GitLab instances of the
// integrations in the platform database, an integration added while the
// server runs included; anything else is refused.
func TestOfflineDests(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, store.SQLite)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	o, err := newOfflineDests(st, log, "https://mirror.corp.example/repository/npm/", "http://127.0.0.1:40123", "https://files.corp.example/airlock/latest.bundle")
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{
		"mirror.corp.example:443": true,
		"127.0.0.1:40123":         true,
		"127.0.0.1:40124":         false,
		"files.corp.example:443":  true,
		"gitlab.corp.example:443": false,
		"proxy.golang.org:443":    false,
	} {
		if got := o.permits(addr); got != want {
			t.Errorf("permits(%q) = %v, want %v", addr, got, want)
		}
	}
	in := &store.Integration{Name: "corp", URL: "https://gitlab.corp.example", TokenKind: "personal", TokenSealed: []byte("x"), WebhookSealed: []byte("y"), Selection: store.SelectAll}
	if err := st.CreateIntegration(ctx, in, time.Now()); err != nil {
		t.Fatal(err)
	}
	// A miss re-reads the integrations at most once a second.
	o.mu.Lock()
	o.loaded = time.Now().Add(-2 * time.Second)
	o.mu.Unlock()
	if !o.permits("gitlab.corp.example:443") {
		t.Error("the GitLab instance of an integration added at run time is refused")
	}
	if o.permits("gitlab.other.example:443") {
		t.Error("a host of no integration is permitted")
	}
	// An integration created through the API says so (netx.ConfigChanged):
	// the next miss reads the integrations again at once.
	in2 := &store.Integration{Name: "new", URL: "https://gitlab.new.example", TokenKind: "personal", TokenSealed: []byte("x"), WebhookSealed: []byte("y"), Selection: store.SelectAll}
	if err := st.CreateIntegration(ctx, in2, time.Now()); err != nil {
		t.Fatal(err)
	}
	if o.permits("gitlab.new.example:443") {
		t.Fatal("re-read within the second without a change being announced")
	}
	netx.ConfigChanged()
	if !o.permits("gitlab.new.example:443") {
		t.Error("the integration created just before ConfigChanged is refused")
	}
	if _, err := newOfflineDests(st, log, "https:///x"); err == nil {
		t.Error("a static destination without a host was accepted")
	}
}

// TestScanOffline: scan --offline reaches the configured mirror (the
// process-wide check permits it) and reports as without the flag.
func TestScanOffline(t *testing.T) {
	srv, requests := npmStandIn(t)
	dir := writeTree(t, map[string]string{"package-lock.json": requestLock})
	env := isolated(t)
	r := airlockEnv(t, binary, env, nil, "scan", "--offline", "--scanners", "risk", "--format", "json", "--registry", "npm="+srv.URL, dir)
	if r.code != 3 || !strings.Contains(r.stdout, "risk/deprecated") {
		t.Fatalf("exit %d, want 3 with risk/deprecated from the mirror\n%s%s", r.code, r.stdout, r.stderr)
	}
	if *requests != 1 {
		t.Errorf("%d requests to the mirror, want 1", *requests)
	}
}

// TestServeOfflineByDefault: 'airlock serve' starts in offline mode
// without being told (AIRLOCK_OFFLINE=false turns it off), and offline
// mode still lets an administrator connect a GitLab instance that is not
// configured yet: Test Connection (POST /api/v1/connection-tests) and the
// creation reach it as the instance being configured, and the discovery
// that follows reaches it as a configured one.
func TestServeOfflineByDefault(t *testing.T) {
	gl := gitlabtest.New(t)
	u := gl.AddUser(gitlabtest.User{Username: "bot"})
	tok := gl.AddToken(gitlabtest.Token{Value: "glpat-offline-default-000000", UserID: u.ID, Scopes: []string{"api", "read_repository", "write_repository"}})
	gl.AddProject(gitlabtest.Project{Path: "g/app", Members: map[int]gitlabtest.AccessLevel{u.ID: gitlabtest.Maintainer}})

	const admin = "alk_offline_default_admin_0123456789"
	s := startServe(t, t.TempDir(), "AIRLOCK_ADMIN_TOKEN="+admin)
	if !strings.Contains(s.log(), "offline mode: outbound connections go only") {
		t.Fatalf("serve did not start in offline mode:\n%s", s.log())
	}
	if c, body := s.do(t, "POST", "/api/v1/connection-tests", admin, map[string]any{"url": gl.URL, "token": tok.Value}); c != 200 || !strings.Contains(body, `"ok":true`) {
		t.Fatalf("Test Connection in offline mode: %d %s\n%s", c, body, s.log())
	}
	if c, body := s.do(t, "POST", "/api/v1/integrations", admin, map[string]any{"url": gl.URL, "token": tok.Value}); c != 201 {
		t.Fatalf("create integration in offline mode: %d %s\n%s", c, body, s.log())
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, body := s.do(t, "GET", "/api/v1/projects", admin, nil)
		if strings.Contains(body, "g/app") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("discovery did not list the project: %s\n%s", body, s.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if strings.Contains(s.log(), "outbound connection refused") {
		t.Errorf("a connection was refused:\n%s", s.log())
	}
	s.stop(t)

	off := startServe(t, t.TempDir(), "AIRLOCK_OFFLINE=false")
	if !strings.Contains(off.log(), "offline mode is off") {
		t.Errorf("AIRLOCK_OFFLINE=false did not turn offline mode off:\n%s", off.log())
	}
	off.stop(t)
}
