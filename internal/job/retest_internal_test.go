package job

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/airlock-sec/airlock/internal/gitlab"
	"github.com/airlock-sec/airlock/internal/source"
	"github.com/airlock-sec/airlock/internal/tunnel"
)

// TestConnectionFailure: auth, TLS, network and agent failures re-test
// the integration; a failure of one project or request does not.
func TestConnectionFailure(t *testing.T) {
	ge := func(c gitlab.Code) error {
		return fmt.Errorf("discover integration 1: %w", &gitlab.Error{Code: c, Message: string(c)})
	}
	for _, c := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{ge(gitlab.CodeUnauthorized), true},
		{ge(gitlab.CodeTokenRevoked), true},
		{ge(gitlab.CodeTokenExpired), true},
		{ge(gitlab.CodeTLSUnknownCA), true},
		{ge(gitlab.CodeUnreachable), true},
		{ge(gitlab.CodeDNS), true},
		{ge(gitlab.CodeProxyBadGateway), true},
		{ge("agent_not_connected"), true},
		{fmt.Errorf("list projects: %w", &tunnel.NoAgentError{Pool: "corp"}), true},
		{fmt.Errorf("clone g/p: %w: the token was refused", source.ErrAuthentication), true},
		{fmt.Errorf("clone g/p: %w", source.ErrCertificate), true},
		{fmt.Errorf("clone g/p: %w", source.ErrUnreachable), true},
		{ge(gitlab.CodeNotFound), false},
		{ge(gitlab.CodeForbidden), false},
		{ge(gitlab.CodeServerError), false},
		{ge(gitlab.CodeRateLimited), false},
		{ge(gitlab.CodeCanceled), false},
		{fmt.Errorf("clone g/p: %w", source.ErrRefNotFound), false},
		{context.DeadlineExceeded, false},
		{errors.New("disk full"), false},
	} {
		if got := ConnectionFailure(c.err); got != c.want {
			t.Errorf("ConnectionFailure(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
