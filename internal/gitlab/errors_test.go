package gitlab

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gl "gitlab.com/gitlab-org/api/client-go/v2"
)

func TestClassifyResponse(t *testing.T) {
	tests := []struct {
		name   string
		status int
		header http.Header
		body   string
		want   Code
		scope  string
		after  time.Duration
		parts  []string
	}{
		{name: "unknown token", status: 401, body: `{"message":"401 Unauthorized"}`, want: CodeUnauthorized, parts: []string{"does not accept the token"}},
		{name: "revoked", status: 401, body: `{"error":"invalid_token","error_description":"Token was revoked. You have to re-authorize from the user."}`, want: CodeTokenRevoked},
		{name: "expired", status: 401, body: `{"error":"invalid_token","error_description":"Token is expired. You can either do re-authorization or token refresh."}`, want: CodeTokenExpired},
		{name: "scope", status: 403, body: `{"error":"insufficient_scope","error_description":"The request requires higher privileges than provided by the access token.","scope":"api"}`, want: CodeInsufficientScope, scope: "api", parts: []string{"lacks the api scope", "webhooks"}},
		{name: "scopes", status: 403, body: `{"error":"insufficient_scope","scope":"api read_api"}`, want: CodeInsufficientScope, scope: "api", parts: []string{"any of api, read_api"}},
		{name: "role", status: 403, body: `{"message":"403 Forbidden"}`, want: CodeForbidden, parts: []string{"too low a role"}},
		{name: "role with reason", status: 403, body: `{"message":"You are not allowed to push into this branch"}`, want: CodeForbidden, parts: []string{"not allowed to push"}},
		{name: "not found", status: 404, want: CodeNotFound},
		{name: "duplicate MR", status: 409, body: `{"message":["Another open merge request already exists for this source branch: !4"]}`, want: CodeConflict, parts: []string{"!4"}},
		{name: "validation", status: 400, body: `{"message":{"source_branch":["does not exist"]}}`, want: CodeBadRequest, parts: []string{"source_branch does not exist"}},
		{name: "error field", status: 400, body: `{"error":"url is missing"}`, want: CodeBadRequest, parts: []string{"url is missing"}},
		{name: "unprocessable", status: 422, body: `{"message":"You can't use same project/branch"}`, want: CodeBadRequest},
		{name: "throttled", status: 429, header: http.Header{"Retry-After": {"30"}}, body: "Retry later\n", want: CodeRateLimited, after: 30 * time.Second, parts: []string{"wait 30s"}},
		{name: "gateway", status: 502, body: "<html>Bad Gateway</html>", want: CodeProxyBadGateway, parts: []string{"NO_PROXY"}},
		{name: "GitLab 502", status: 502, body: `{"message":"502 Bad Gateway"}`, want: CodeServerError},
		{name: "unavailable", status: 503, body: "", want: CodeServerError, parts: []string{"503"}},
		{name: "moved", status: 301, header: http.Header{"Location": {"https://gitlab.example.com/api/v4/version"}}, want: CodeRedirected, parts: []string{"https://gitlab.example.com/api/v4/version"}},
		{name: "teapot", status: 418, body: `{"message":"short and stout"}`, want: CodeBadRequest, parts: []string{"418", "short and stout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, _ := url.Parse("https://gitlab.example.com/api/v4/projects/1")
			er := &gl.ErrorResponse{
				StatusCode: tt.status,
				Body:       []byte(tt.body),
				Response:   &http.Response{StatusCode: tt.status, Header: tt.header, Request: &http.Request{Method: "GET", URL: u}},
			}
			if tt.header == nil {
				er.Response.Header = http.Header{}
			}
			err := classify("do things", fmt.Errorf("wrapped: %w", er))
			e := wantCode(t, err, tt.want, append([]string{"gitlab: do things: "}, tt.parts...)...)
			if e.Status != tt.status || e.Scope != tt.scope || e.RetryAfter != tt.after {
				t.Errorf("Status %d, Scope %q, RetryAfter %s; want %d, %q, %s", e.Status, e.Scope, e.RetryAfter, tt.status, tt.scope, tt.after)
			}
			if !errors.Is(err, er) {
				t.Error("the *ErrorResponse is not in the chain")
			}
		})
	}
	if classify("x", nil) != nil {
		t.Error("classify(nil) != nil")
	}
	e := &Error{Code: CodeDNS}
	if classify("x", fmt.Errorf("w: %w", e)) != e {
		t.Error("classify does not keep an *Error")
	}
	if !errors.Is(&Error{Code: CodeNotFound}, ErrNotFound) || errors.Is(&Error{Code: CodeForbidden}, ErrNotFound) {
		t.Error("errors.Is(_, ErrNotFound) is wrong")
	}
	if CodeOf(errors.New("x")) != "" || CodeOf(fmt.Errorf("w: %w", e)) != CodeDNS {
		t.Error("CodeOf is wrong")
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		header http.Header
		want   time.Duration
		ok     bool
	}{
		{http.Header{"Retry-After": {"7"}}, 7 * time.Second, true},
		{http.Header{"Retry-After": {"0"}}, 0, true},
		{http.Header{"Retry-After": {now.Add(90 * time.Second).Format(http.TimeFormat)}}, 90 * time.Second, true},
		{http.Header{"Retry-After": {now.Add(-time.Hour).Format(http.TimeFormat)}}, 0, true},
		{http.Header{"Ratelimit-Reset": {fmt.Sprint(now.Add(42 * time.Second).Unix())}}, 42 * time.Second, true},
		{http.Header{"Retry-After": {"soon"}}, 0, false},
		{http.Header{}, 0, false},
	}
	for _, tt := range tests {
		got, ok := retryAfter(tt.header, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("retryAfter(%v) = %s, %v; want %s, %v", tt.header, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBackoff(t *testing.T) {
	b := backoff(time.Minute)
	resp := func(h http.Header) *http.Response { return &http.Response{StatusCode: 429, Header: h} }
	tests := []struct {
		name     string
		resp     *http.Response
		attempt  int
		min, max time.Duration
	}{
		{"Retry-After", resp(http.Header{"Retry-After": {"3"}}), 0, 3 * time.Second, 3*time.Second + 100*time.Millisecond},
		{"capped", resp(http.Header{"Retry-After": {"3600"}}), 0, time.Minute, time.Minute},
		{"no header", resp(http.Header{}), 2, 4 * time.Second, 4*time.Second + 100*time.Millisecond},
		{"no header, late attempt", resp(http.Header{}), 9, time.Minute, time.Minute},
		{"5xx", &http.Response{StatusCode: 502}, 1, 500 * time.Millisecond, 600 * time.Millisecond},
		{"transport error", nil, 0, 250 * time.Millisecond, 350 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := b(0, 0, tt.attempt, tt.resp); got < tt.min || got > tt.max {
			t.Errorf("%s: waits %s, want within [%s, %s]", tt.name, got, tt.min, tt.max)
		}
	}
}

// TestTokenHidden: a client printed or logged does not show its token.
func TestTokenHidden(t *testing.T) {
	c := newClient(t, "https://gitlab.example.com", testToken)
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("client", "token", *c.token, "client", c)
	for _, s := range []string{fmt.Sprintf("%v %+v %#v %s %v", c, c, c, c.token, *c.token), logged.String()} {
		if strings.Contains(s, testToken) {
			t.Errorf("the token shows in %q", s)
		}
	}
	if diff := cmp.Diff("[redacted]", fmt.Sprint(*c.token)); diff != "" {
		t.Error(diff)
	}
}
