// Package gitlab is airlock's client for a GitLab Self-Managed instance: it
// tests a connection and its token (Check), discovers the projects the token
// can see (Projects), installs the webhooks airlock listens to, and posts its
// findings back to merge requests as a note and a commit status. It also
// gives git the token without putting it in a URL or argv (GitAuthEnv).
//
// It is built on gitlab.com/gitlab-org/api/client-go with an *http.Client
// from internal/netx, so the CA, proxy and egress settings apply. Every
// failure is an *Error with a stable Code and a message that says what to
// do; the token never appears in an error.
package gitlab

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
)

// TokenKind says how the token authenticates.
type TokenKind string

// Token kinds.
const (
	// TokenPersonal covers personal, project, group and service-account
	// access tokens: sent as PRIVATE-TOKEN.
	TokenPersonal TokenKind = "personal"
	// TokenOAuth is an OAuth 2 access token: sent as a Bearer token.
	TokenOAuth TokenKind = "oauth"
)

// Defaults of Config.
const (
	defaultUserAgent    = "airlock"
	defaultMaxRetryWait = 60 * time.Second
	defaultRetries      = 5
)

// Config describes a connection to a GitLab instance.
type Config struct {
	// BaseURL is the instance root URL, as ParseInstanceURL accepts it.
	BaseURL string
	// Token is the access token. It is sent only to BaseURL's host.
	Token string
	// TokenKind is TokenPersonal (the default when empty) or TokenOAuth.
	TokenKind TokenKind
	// HTTPClient carries the requests; it must come from netx.NewClient so
	// that the CA, proxy and egress settings apply. Required. It is copied,
	// not modified.
	HTTPClient *http.Client
	// UserAgent is sent with every request (default "airlock").
	UserAgent string
	// MaxRetryWait caps the wait before retrying a throttled (429) request,
	// whatever Retry-After asks (default 60s). The context still cancels
	// the wait.
	MaxRetryWait time.Duration
	// Retries is how many times a throttled request, or an idempotent one
	// that met a 5xx or a refused connection, is retried (default 5;
	// negative means never).
	Retries int
	// Logger receives client-go's warnings; nil discards them.
	Logger *slog.Logger
}

// Client talks to one GitLab instance with one token. It is safe for
// concurrent use.
type Client struct {
	api   *gl.Client
	base  *url.URL // instance root, no trailing slash
	kind  TokenKind
	token *secret // behind a pointer, so that printing a Client shows an address

	mu     sync.Mutex
	selfID int64 // the token's user, once known
}

// self returns the ID of the token's user, asking GitLab the first time.
func (c *Client) self(ctx context.Context) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.selfID != 0 {
		return c.selfID, nil
	}
	u, _, err := c.api.Users.CurrentUser(gl.WithContext(ctx))
	if err != nil {
		return 0, classify("read the token's user (GET /user)", err)
	}
	c.selfID = u.ID
	return u.ID, nil
}

// secret hides a token from fmt and loggers.
type secret string

func (secret) String() string   { return "[redacted]" }
func (secret) GoString() string { return "[redacted]" }

// LogValue keeps the token out of slog output.
func (secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// New returns a client for the instance at c.BaseURL. It makes no request.
func New(c Config) (*Client, error) {
	base, err := ParseInstanceURL(c.BaseURL)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(c.Token) == "" {
		return nil, &Error{Code: CodeUnauthorized, Op: "configure", Message: "no access token given", Hint: "create an access token with the api, read_repository and write_repository scopes and enter it"}
	}
	if c.HTTPClient == nil {
		return nil, errors.New("gitlab: Config.HTTPClient is nil (build it with netx.NewClient)")
	}
	kind := c.TokenKind
	if kind == "" {
		kind = TokenPersonal
	}
	if kind != TokenPersonal && kind != TokenOAuth {
		return nil, &Error{Code: CodeUnauthorized, Op: "configure", Message: "unknown token kind " + string(kind), Hint: `give "personal" (personal, project, group or service-account token) or "oauth"`}
	}
	ua := c.UserAgent
	if ua == "" {
		ua = defaultUserAgent
	}
	maxWait := c.MaxRetryWait
	if maxWait <= 0 {
		maxWait = defaultMaxRetryWait
	}
	retries := c.Retries
	switch {
	case retries == 0:
		retries = defaultRetries
	case retries < 0:
		retries = 0
	}
	logger := c.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	// A copy, so that the caller's client keeps its redirect policy.
	hc := *c.HTTPClient
	hc.CheckRedirect = refuseRedirects

	opts := []gl.ClientOptionFunc{
		gl.WithBaseURL(base.String() + "/api/v4/"),
		gl.WithHTTPClient(&hc),
		gl.WithUserAgent(ua),
		gl.WithURLWarningLogger(logger),
		gl.WithOnlyIdempotentRetries(),
		gl.WithCustomRetryMax(retries),
		gl.WithCustomBackoff(backoff(maxWait)),
	}
	var api *gl.Client
	if kind == TokenOAuth {
		api, err = gl.NewAuthSourceClient(bearer(c.Token), opts...)
	} else {
		api, err = gl.NewClient(c.Token, opts...)
	}
	if err != nil {
		return nil, &Error{Code: CodeInvalidURL, Op: "configure", Message: err.Error(), Hint: rootHint}
	}
	tok := secret(c.Token)
	return &Client{api: api, base: base, kind: kind, token: &tok}, nil
}

// BaseURL returns the instance root URL, without a trailing slash.
func (c *Client) BaseURL() *url.URL {
	u := *c.base
	return &u
}

// refuseRedirects stops at the first redirect: GitLab's API does not
// redirect, and following one could send the token elsewhere. The 3xx
// answer becomes a CodeRedirected error.
func refuseRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// bearer sends an OAuth token as a Bearer token.
type bearer string

func (bearer) Init(context.Context, *gl.Client) error { return nil }

func (b bearer) Header(context.Context) (string, string, error) {
	return "Authorization", "Bearer " + string(b), nil
}

// backoff waits before a retry: for a 429, as long as Retry-After (or
// RateLimit-Reset) asks, capped at maxWait, with a little jitter; without
// either header, exponentially from 1s. Other retries (5xx) wait a
// quarter second more each time.
func backoff(maxWait time.Duration) func(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	return func(_, _ time.Duration, attempt int, resp *http.Response) time.Duration {
		jitter := time.Duration(rand.Int64N(int64(100 * time.Millisecond)))
		if resp != nil && resp.StatusCode == http.StatusTooManyRequests {
			wait, ok := retryAfter(resp.Header, time.Now())
			if !ok {
				wait = time.Second << min(attempt, 6)
			}
			return min(wait+jitter, maxWait)
		}
		return min(time.Duration(attempt+1)*250*time.Millisecond+jitter, maxWait)
	}
}
