package integration

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab"
	"github.com/airlock-sec/airlock/internal/keyring"
	"github.com/airlock-sec/airlock/internal/store"
)

// TestOpenBindsTheTokenToItsIntegration: a sealed token opens only as the
// token of the integration it was sealed for (a row copied onto another
// integration does not give its token away); an integration whose agents
// hold the token opens without one.
func TestOpenBindsTheTokenToItsIntegration(t *testing.T) {
	k, err := keyring.Open(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := k.Seal([]byte("glpat-bound-token-0000"), AAD(1, FieldToken))
	if err != nil {
		t.Fatal(err)
	}
	in := store.Integration{ID: 1, URL: "https://gitlab.example", TokenKind: "personal", TokenSealed: sealed}
	c, err := Open(k, in)
	if err != nil || c.Token != "glpat-bound-token-0000" || c.URL != in.URL {
		t.Fatalf("Open: %+v, %v", c, err)
	}
	in.ID = 2
	if _, err := Open(k, in); err == nil {
		t.Error("a token sealed for integration 1 opened as integration 2's")
	}
	if _, err := k.Open(sealed, AAD(1, FieldWebhook)); err == nil {
		t.Error("a token opened as the webhook secret")
	}
	agent := store.Integration{ID: 3, URL: "https://gitlab.corp", ViaAgent: true, AgentPool: "dc1"}
	if c, err := Open(k, agent); err != nil || c.Token != "" || !c.ViaAgent || c.AgentPool != "dc1" {
		t.Errorf("Open of an agent-held token: %+v, %v", c, err)
	}
}

// TestRecordCarriesLastWorked: a failed test keeps when the integration
// last worked (the previous success's time), a success sets it.
func TestRecordCarriesLastWorked(t *testing.T) {
	var in store.Integration
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	Record(&in, CheckResult{OK: true}, t0)
	Record(&in, NewCheckResult(gitlab.Check{}, &gitlab.Error{Code: gitlab.CodeUnauthorized, Message: "401"}), t0.Add(time.Hour))
	got := StoredCheck(in)
	if got.OK || got.LastOKAt == nil || !got.LastOKAt.Equal(t0) {
		t.Fatalf("after a failure: %+v, want last worked at %v", got, t0)
	}
	Record(&in, NewCheckResult(gitlab.Check{}, &gitlab.Error{Code: gitlab.CodeUnauthorized, Message: "401"}), t0.Add(2*time.Hour))
	if got := StoredCheck(in); got.LastOKAt == nil || !got.LastOKAt.Equal(t0) {
		t.Errorf("after a second failure: %+v", got)
	}
	Record(&in, CheckResult{OK: true}, t0.Add(3*time.Hour))
	if got := StoredCheck(in); !got.OK || !got.LastOKAt.Equal(t0.Add(3*time.Hour)) {
		t.Errorf("after a success: %+v", got)
	}
}

// TestResponseTimeout: a GitLab that never answers fails a direct call
// as a timeout after SetResponseTimeout's wait, not netx's two minutes.
func TestResponseTimeout(t *testing.T) {
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer hang.Close()
	SetResponseTimeout(300 * time.Millisecond)
	defer SetResponseTimeout(0)
	gl, err := NewClient(Connection{URL: hang.URL, Token: "glpat-x", TokenKind: "personal"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = gl.Check(ctx)
	if code := gitlab.CodeOf(err); code != gitlab.CodeTimeout {
		t.Fatalf("a GitLab that never answers: %v (code %q), want a timeout", err, code)
	}
	if ctx.Err() != nil {
		t.Fatal("the call ran into the test's own deadline, not the response timeout")
	}
}
