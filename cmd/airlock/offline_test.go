package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

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
