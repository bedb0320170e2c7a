package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/airlock-sec/airlock/internal/integration"
	"github.com/airlock-sec/airlock/internal/server"
	"github.com/airlock-sec/airlock/internal/store"
)

// TestHTMXAsset: the embedded htmx is the file whose SHA-256
// docs/architecture.md records, served with a long cache lifetime, and
// the pages load it under a CSP that allows only the server's scripts.
func TestHTMXAsset(t *testing.T) {
	doc, err := os.ReadFile("../../docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), server.HTMXSHA256) || !strings.Contains(string(doc), "0BSD") {
		t.Fatalf("docs/architecture.md does not record htmx's SHA-256 %s and licence", server.HTMXSHA256)
	}
	h := newHarness(t, store.SQLite, options{})
	resp, err := http.Get(h.url + server.HTMXPath)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	sum := sha256.Sum256(body)
	if resp.StatusCode != 200 || hex.EncodeToString(sum[:]) != server.HTMXSHA256 {
		t.Fatalf("GET %s: %d, sha256 %x, want %s", server.HTMXPath, resp.StatusCode, sum, server.HTMXSHA256)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("headers %v", resp.Header)
	}
	b := newBrowser(t, h.url)
	b.signIn(adminToken)
	r, page := b.get("/integrations")
	csp := r.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-eval") || !strings.Contains(page, `<script src="`+server.HTMXPath+`" defer></script>`) {
		t.Fatalf("CSP %q; page:\n%s", csp, page)
	}
}

// TestHubCardPartial: a hub card fetches itself alone (no layout), with
// the integration's current status; a missing one is a 404.
func TestHubCardPartial(t *testing.T) {
	h := newHarness(t, store.SQLite, options{})
	in := store.Integration{Name: "corp", URL: "https://gitlab.example.com", TokenKind: "personal", TokenSealed: []byte{1}, WebhookSealed: []byte{1}, Selection: store.SelectAll}
	if err := h.store.CreateIntegration(context.Background(), &in, time.Now()); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, h.url)
	b.signIn(adminToken)
	_, hub := b.get("/integrations")
	if !strings.Contains(hub, fmt.Sprintf(`hx-get="/integrations/%d/card"`, in.ID)) {
		t.Fatalf("the hub card does not refresh itself:\n%s", hub)
	}
	r, c := b.get(fmt.Sprintf("/integrations/%d/card", in.ID))
	if r.StatusCode != 200 || strings.Contains(c, "<html") || !strings.HasPrefix(c, "<section") || !strings.Contains(c, `data-status="Disconnected"`) || !strings.Contains(c, "never tested") {
		t.Fatalf("card %d:\n%s", r.StatusCode, c)
	}
	if r, _ := b.get(fmt.Sprintf("/integrations/%d/card", in.ID+1)); r.StatusCode != 404 {
		t.Fatalf("a missing card: %d", r.StatusCode)
	}
}

// TestUIBrowserHTMXCard: in Chromium, a hub card replaces itself with the
// integration's new status through htmx, without the page navigating.
func TestUIBrowserHTMXCard(t *testing.T) {
	d := newUIDriver(t, "")
	h := newHarness(t, store.SQLite, options{})
	d.base = h.url
	ctx := context.Background()
	in := store.Integration{Name: "corp", URL: "https://gitlab.example.com", TokenKind: "personal", TokenSealed: []byte{1}, WebhookSealed: []byte{1}, Selection: store.SelectAll}
	if err := h.store.CreateIntegration(ctx, &in, time.Now()); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	integration.Record(&in, integration.CheckResult{OK: true, Version: "17.5.0", Username: "airlock-bot"}, now)
	if err := h.store.SetIntegrationCheck(ctx, in.ID, in.Check, now, now); err != nil {
		t.Fatal(err)
	}
	card := fmt.Sprintf("#integration-card-%d", in.ID)
	d.signIn("/integrations", card+` [data-status="Connected"]`)
	// A marker on the window survives only if the page does not navigate.
	d.run("mark the page", chromedp.Evaluate[chromedp.Void](`window.airlockMarker = "same page"; typeof htmx`))
	loaded := get(d, "htmx loaded", chromedp.Evaluate[string](`typeof htmx`))
	d.check("htmx loaded", loaded == "object", "htmx is %q in the page (blocked by the CSP?)", loaded)

	// GitLab stops accepting the token; the card refreshes itself.
	integration.Record(&in, integration.CheckResult{Error: &integration.CheckMessage{Code: "unauthorized", Message: "GitLab does not accept the token (401 Unauthorized)", Hint: "create a new token"}}, now.Add(time.Second))
	if err := h.store.SetIntegrationCheck(ctx, in.ID, in.Check, now.Add(time.Second), now.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	d.run("card refresh",
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`htmx.trigger(document.querySelector(%q), "refresh")`, card)),
		chromedp.WaitVisible(chromedp.CSS(card+` [data-status="Disconnected"]`)),
	)
	text := d.text("card refresh", card)
	marker := get(d, "card refresh", chromedp.Evaluate[string](`String(window.airlockMarker)`))
	d.check("card refresh", marker == "same page" && strings.Contains(text, "Last worked:") && strings.Contains(text, "create a new token"), "marker %q, card %q", marker, text)
}
