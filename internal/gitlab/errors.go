package gitlab

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/airlock-sec/airlock/internal/netx"
)

// Code names a kind of failure. Codes are stable: the UI and the API key
// their help texts on them.
type Code string

// The failures this package reports.
const (
	// CodeInvalidURL: the instance URL given is not an instance root URL.
	CodeInvalidURL Code = "invalid_url"
	// CodeUnreachable: no connection could be made, or it broke.
	CodeUnreachable Code = "unreachable"
	// CodeDNS: the host name does not resolve.
	CodeDNS Code = "dns"
	// CodeTimeout: connecting or waiting for an answer took too long.
	CodeTimeout Code = "timeout"
	// CodeCanceled: the caller's context was canceled.
	CodeCanceled Code = "canceled"
	// CodeEgressDenied: the destination is not on the egress allowlist.
	CodeEgressDenied Code = "egress_denied"
	// CodeTLSUnknownCA: the server's certificate is signed by a CA this
	// machine does not trust.
	CodeTLSUnknownCA Code = "tls_unknown_ca"
	// CodeTLS: any other TLS or certificate problem.
	CodeTLS Code = "tls"
	// CodeProxyBadGateway: the proxy could not reach GitLab (502/503/504),
	// usually because GitLab is internal and missing from NO_PROXY.
	CodeProxyBadGateway Code = "proxy_bad_gateway"
	// CodeProxy: any other refusal by the proxy (authentication, policy).
	CodeProxy Code = "proxy"
	// CodeRedirected: the URL answered with a redirect.
	CodeRedirected Code = "redirected"
	// CodeNotGitLab: something answered that is not GitLab's API.
	CodeNotGitLab Code = "not_gitlab"
	// CodeUnauthorized: GitLab does not know the token.
	CodeUnauthorized Code = "unauthorized"
	// CodeTokenRevoked: the token was revoked.
	CodeTokenRevoked Code = "token_revoked"
	// CodeTokenExpired: the token has expired.
	CodeTokenExpired Code = "token_expired"
	// CodeInsufficientScope: the token lacks a scope the request needs.
	CodeInsufficientScope Code = "insufficient_scope"
	// CodeForbidden: the token's user has too low a role.
	CodeForbidden Code = "forbidden"
	// CodeNotFound: the object does not exist or the user cannot see it.
	CodeNotFound Code = "not_found"
	// CodeConflict: GitLab refused a duplicate (409).
	CodeConflict Code = "conflict"
	// CodeBadRequest: GitLab refused the request's parameters (400, 422).
	CodeBadRequest Code = "bad_request"
	// CodeRateLimited: GitLab throttled the requests (429) beyond the
	// retries.
	CodeRateLimited Code = "rate_limited"
	// CodeServerError: GitLab failed (5xx).
	CodeServerError Code = "server_error"
	// CodeNoProjects: the token's user is a member of no project.
	CodeNoProjects Code = "no_projects"
)

// Error is every failure this package returns. Message says what went
// wrong and Hint what to do about it; neither ever contains the token.
type Error struct {
	// Code classifies the failure.
	Code Code
	// Op is what was being done ("list projects", "create webhook on
	// group/app").
	Op string
	// Message says what went wrong, in the terms of the person fixing it.
	Message string
	// Hint says what to do next; it may be empty.
	Hint string
	// Status is GitLab's (or the proxy's) HTTP status, 0 when no answer
	// came.
	Status int
	// Scope is the missing scope for CodeInsufficientScope, as GitLab names
	// it ("api").
	Scope string
	// RetryAfter is how long GitLab asked to wait, for CodeRateLimited.
	RetryAfter time.Duration
	// Err is the underlying error.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("gitlab: ")
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	if e.Hint != "" {
		b.WriteString(" (")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrNotFound) true for every CodeNotFound error.
func (e *Error) Is(target error) bool {
	return target == ErrNotFound && e.Code == CodeNotFound
}

// ErrNotFound is matched (errors.Is) by every error with CodeNotFound, and
// returned by FindNote when no note carries the marker.
var ErrNotFound = errors.New("gitlab: not found")

// CodeOf returns the Code of the *Error in err's chain, or "" if there is
// none.
func CodeOf(err error) Code {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return ""
}

// errorBody is the union of GitLab's error bodies: {"message": ...} (a
// string, a list or an object), {"error": "..."} and the OAuth form
// {"error", "error_description", "scope"}.
type errorBody struct {
	Message          any    `json:"message"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	Scope            string `json:"scope"`
}

// parseErrorBody decodes a GitLab error body; ok is false when the body is
// not JSON, which usually means something other than GitLab answered.
func parseErrorBody(b []byte) (errorBody, bool) {
	var body errorBody
	if err := json.Unmarshal(b, &body); err != nil {
		return errorBody{}, false
	}
	return body, true
}

// text is the body's message as one line.
func (b errorBody) text() string {
	var parts []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			parts = append(parts, v)
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			for k, x := range v {
				sub := len(parts)
				walk(x)
				for i := sub; i < len(parts); i++ {
					parts[i] = k + " " + parts[i]
				}
			}
		}
	}
	walk(b.Message)
	if len(parts) == 0 && b.Error != "" {
		parts = append(parts, b.Error)
	}
	if b.ErrorDescription != "" {
		parts = append(parts, b.ErrorDescription)
	}
	return strings.Join(parts, "; ")
}

// scopeBreaks says what fails without each scope airlock needs.
var scopeBreaks = map[string]string{
	"api":              "project discovery, webhooks, merge request notes and commit statuses",
	"read_repository":  "cloning repositories for scans",
	"write_repository": "pushing branches for remediation merge requests",
}

// classify turns an error from client-go or the HTTP client into an *Error
// for op. It returns nil for nil and leaves an *Error as it is.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e
	}
	if er, ok := errors.AsType[*gl.ErrorResponse](err); ok {
		return classifyResponse(op, er)
	}
	return classifyTransport(op, err)
}

// classifyResponse maps an HTTP error answer.
func classifyResponse(op string, er *gl.ErrorResponse) *Error {
	e := &Error{Op: op, Status: er.StatusCode, Err: er}
	body, isJSON := parseErrorBody(er.Body)
	text := body.text()
	switch s := er.StatusCode; {
	case s >= 300 && s < 400:
		e.Code = CodeRedirected
		loc := ""
		if er.Response != nil {
			loc = er.Response.Header.Get("Location")
		}
		e.Message = fmt.Sprintf("the server answered %d with a redirect to %s instead of GitLab's API", s, orUnknown(loc))
		e.Hint = "give the URL GitLab is served at (its external_url, usually https://), without any path beyond the instance root"
	case s == http.StatusUnauthorized:
		desc := strings.ToLower(body.ErrorDescription)
		switch {
		case strings.Contains(desc, "revoked"):
			e.Code = CodeTokenRevoked
			e.Message = "the token has been revoked"
			e.Hint = "create a new access token and enter it"
		case strings.Contains(desc, "expired"):
			e.Code = CodeTokenExpired
			e.Message = "the token has expired"
			e.Hint = "create a new access token (or rotate this one) and enter it"
		default:
			e.Code = CodeUnauthorized
			e.Message = "GitLab does not accept the token (401 Unauthorized)"
			e.Hint = "check that the token was copied whole, belongs to this GitLab instance, and that the token type (personal or OAuth) is right"
			if !isJSON {
				e.Hint += "; the answer was not GitLab's, so also check that the URL is the GitLab instance root"
			}
		}
	case s == http.StatusForbidden:
		if body.Error == "insufficient_scope" {
			e.Code = CodeInsufficientScope
			e.Scope = firstScope(body.Scope)
			if scopes := strings.Fields(body.Scope); len(scopes) > 1 {
				e.Message = fmt.Sprintf("the token lacks a scope this request needs (any of %s)", strings.Join(scopes, ", "))
			} else {
				e.Message = fmt.Sprintf("the token lacks the %s scope", orUnknown(body.Scope))
			}
			if breaks := scopeBreaks[e.Scope]; breaks != "" {
				e.Message += ", which airlock needs for " + breaks
			}
			e.Hint = "create a token with the api, read_repository and write_repository scopes"
			return e
		}
		e.Code = CodeForbidden
		e.Message = "GitLab refused the request (403 Forbidden): the token's user has too low a role"
		if text != "" && text != "403 Forbidden" {
			e.Message += ": " + text
		}
	case s == http.StatusNotFound:
		e.Code = CodeNotFound
		e.Message = "not found, or not visible to the token's user"
	case s == http.StatusConflict:
		e.Code = CodeConflict
		e.Message = "GitLab refused a duplicate (409 Conflict)"
		if text != "" {
			e.Message += ": " + text
		}
	case s == http.StatusBadRequest || s == http.StatusUnprocessableEntity:
		e.Code = CodeBadRequest
		e.Message = fmt.Sprintf("GitLab refused the request (%d)", s)
		if text != "" {
			e.Message += ": " + text
		}
	case s == http.StatusTooManyRequests:
		e.Code = CodeRateLimited
		if er.Response != nil {
			e.RetryAfter, _ = retryAfter(er.Response.Header, time.Now())
		}
		e.Message = "GitLab's rate limit was still exceeded after retrying (429 Too Many Requests)"
		if e.RetryAfter > 0 {
			e.Message += fmt.Sprintf("; it asks to wait %s", e.RetryAfter)
		}
		e.Hint = "try again later, or have a GitLab administrator raise the user's API rate limit (Admin > Settings > Network > User and IP rate limits)"
	case s == http.StatusBadGateway && !isJSON:
		e.Code = CodeProxyBadGateway
		e.Message = "a proxy or gateway answered 502 Bad Gateway"
		e.Hint = "if airlock reaches GitLab through a proxy, the GitLab host is probably missing from NO_PROXY; otherwise GitLab itself may be down"
	case s >= 500:
		e.Code = CodeServerError
		e.Message = fmt.Sprintf("GitLab failed to answer (%d)", s)
		if text != "" {
			e.Message += ": " + text
		}
		e.Hint = "try again later; if it persists, a GitLab administrator can look for the error in GitLab's logs"
	default:
		e.Code = CodeBadRequest
		e.Message = fmt.Sprintf("GitLab answered %d", s)
		if text != "" {
			e.Message += ": " + text
		}
	}
	return e
}

// classifyTransport maps an error that came before any answer.
func classifyTransport(op string, err error) *Error {
	e := &Error{Op: op, Err: err}
	hint, explained := netx.Explain(err)
	e.Hint = hint
	_, denied := errors.AsType[*netx.DeniedError](err)
	proxyErr, isProxy := errors.AsType[*netx.ProxyError](err)
	_, unknownCA := errors.AsType[x509.UnknownAuthorityError](err)
	_, isDNS := errors.AsType[*net.DNSError](err)
	switch {
	case errors.Is(err, context.Canceled):
		e.Code = CodeCanceled
		e.Message = "canceled"
		e.Hint = ""
	case denied:
		e.Code = CodeEgressDenied
		e.Message = "the destination is not on airlock's egress allowlist"
	case isProxy:
		e.Status = proxyErr.StatusCode
		switch proxyErr.StatusCode {
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			e.Code = CodeProxyBadGateway
			e.Message = fmt.Sprintf("the proxy could not reach GitLab (%s)", proxyErr.Status)
		default:
			e.Code = CodeProxy
			e.Message = fmt.Sprintf("the proxy refused the connection (%s)", proxyErr.Status)
		}
	case unknownCA:
		e.Code = CodeTLSUnknownCA
		e.Message = "GitLab's TLS certificate is signed by a certificate authority this machine does not trust"
		e.Hint = "supply your internal CA certificate (PEM) in the GitLab connection settings"
	case isTLSError(err):
		e.Code = CodeTLS
		e.Message = "the TLS connection to GitLab failed"
	case isDNS:
		e.Code = CodeDNS
		e.Message = "the GitLab host name does not resolve"
	case isTimeout(err):
		e.Code = CodeTimeout
		e.Message = "GitLab did not answer in time"
	default:
		e.Code = CodeUnreachable
		e.Message = "cannot connect to GitLab"
		if !explained {
			e.Message += ": " + err.Error()
		}
	}
	return e
}

func isTLSError(err error) bool {
	if _, ok := errors.AsType[x509.HostnameError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.CertificateInvalidError](err); ok {
		return true
	}
	if _, ok := errors.AsType[tls.RecordHeaderError](err); ok {
		return true
	}
	if _, ok := errors.AsType[*tls.CertificateVerificationError](err); ok {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "server gave HTTP response to HTTPS client") || strings.Contains(msg, "tls: ")
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

func firstScope(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

// retryAfter reads a 429's wait: Retry-After in seconds or as an HTTP date,
// else RateLimit-Reset (a Unix time). ok is false when neither is usable.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			return time.Duration(n) * time.Second, true
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(now), 0), true
		}
	}
	if v := strings.TrimSpace(h.Get("RateLimit-Reset")); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			return max(time.Unix(n, 0).Sub(now), 0), true
		}
	}
	return 0, false
}
