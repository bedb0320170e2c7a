package server

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab"
	"github.com/airlock-sec/airlock/internal/integration"
	"github.com/airlock-sec/airlock/internal/job"
	"github.com/airlock-sec/airlock/internal/store"
)

// TestStatusOAuthHint: a failed test whose token GitLab refuses says
// what to do for the integration's kind of token: a new access token,
// or re-authorizing an OAuth application's grant.
func TestStatusOAuthHint(t *testing.T) {
	now := time.Now()
	for _, c := range []struct {
		kind gitlab.TokenKind
		code gitlab.Code
		want string
	}{
		{gitlab.TokenOAuth, gitlab.CodeTokenExpired, job.ReauthorizeHint},
		{gitlab.TokenOAuth, gitlab.CodeUnauthorized, job.ReauthorizeHint},
		{gitlab.TokenOAuth, gitlab.CodeTokenRevoked, job.ReauthorizeHint},
		{gitlab.TokenOAuth, gitlab.CodeTLSUnknownCA, "trust the CA"},
		{gitlab.TokenPersonal, gitlab.CodeTokenExpired, "create a new token"},
	} {
		check, _ := json.Marshal(integration.CheckResult{OK: false, Error: &integration.CheckMessage{Code: string(c.code), Message: "refused", Hint: map[bool]string{true: "trust the CA", false: "create a new token"}[c.code == gitlab.CodeTLSUnknownCA]}})
		in := store.Integration{TokenKind: string(c.kind), Check: check, CheckedAt: &now}
		st, _, hint, _ := status(in)
		if st != StatusDisconnected || hint != c.want {
			t.Errorf("%s token, %s: status %s, hint %q; want %q", c.kind, c.code, st, hint, c.want)
		}
	}
}
