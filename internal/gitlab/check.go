package gitlab

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
)

// Check is what Test Connection learns about the instance and the token.
type Check struct {
	// URL is the instance root URL.
	URL string
	// Version is GitLab's version ("17.5.0-ee"); Revision its commit.
	Version  string
	Revision string
	// Enterprise is true for GitLab EE.
	Enterprise bool
	// Username and UserID identify the token's user.
	Username string
	UserID   int64
	// Admin is true when the user is an instance administrator, who may
	// install system hooks.
	Admin bool
	// Bot is true for the users behind project, group and service-account
	// tokens.
	Bot bool
	// TokenKind is how the token authenticates.
	TokenKind TokenKind
	// TokenName is the token's name; empty for OAuth tokens and when
	// GitLab cannot say.
	TokenName string
	// Scopes are the token's scopes, nil when GitLab cannot say (before
	// 15.5).
	Scopes []string
	// ExpiresAt is when the token stops working (for personal tokens, the
	// start of its expiry date, UTC); nil if it does not expire or GitLab
	// cannot say.
	ExpiresAt *time.Time
	// Warnings are problems that do not stop airlock from working today.
	Warnings []Warning
}

// WarningCode names a kind of warning; codes are stable.
type WarningCode string

// The warnings Check gives.
const (
	// WarnTokenExpiresSoon: the token expires within 30 days.
	WarnTokenExpiresSoon WarningCode = "token_expires_soon"
	// WarnScopesUnknown: GitLab is too old to tell the token's scopes.
	WarnScopesUnknown WarningCode = "scopes_unknown"
	// WarnNoProjects: the token's user is a member of no project.
	WarnNoProjects WarningCode = "no_projects"
)

// Warning is a problem worth showing next to a working connection.
type Warning struct {
	Code    WarningCode
	Message string
}

// expiryWarning is how far ahead an expiring token is reported.
const expiryWarning = 30 * 24 * time.Hour

// Check tests the connection and the token, as the Test Connection button
// does: it reads GitLab's version, the token's scopes and expiry, the user
// and whether the user is a member of any project. It fails with an *Error
// saying what to fix: the network (unreachable, dns, timeout,
// tls_unknown_ca, proxy_bad_gateway, ...), the URL (not_gitlab,
// redirected), or the token (unauthorized, token_revoked, token_expired,
// insufficient_scope). On insufficient_scope the Check is filled in too.
func (c *Client) Check(ctx context.Context) (Check, error) {
	out := Check{URL: c.base.String(), TokenKind: c.kind}
	if err := c.checkVersion(ctx, &out); err != nil {
		return Check{}, err
	}
	if err := c.checkToken(ctx, &out); err != nil {
		return Check{}, err
	}
	user, _, err := c.api.Users.CurrentUser(gl.WithContext(ctx))
	if err != nil {
		return Check{}, classify("read the token's user (GET /user)", err)
	}
	out.Username, out.UserID, out.Admin, out.Bot = user.Username, user.ID, user.IsAdmin, user.Bot
	c.mu.Lock()
	c.selfID = user.ID
	c.mu.Unlock()

	if out.ExpiresAt != nil {
		if left := out.ExpiresAt.Sub(time.Now()); left < expiryWarning {
			out.Warnings = append(out.Warnings, Warning{Code: WarnTokenExpiresSoon, Message: expiryMessage(*out.ExpiresAt, left) + ": rotate it, or create a new one, and enter it before then"})
		}
	}
	if err := missingScopes(out.Scopes); err != nil {
		return out, err
	}

	projects, _, err := c.api.Projects.ListProjects(&gl.ListProjectsOptions{
		ListOptions: gl.ListOptions{PerPage: 1},
		Membership:  gl.Ptr(true),
		Archived:    gl.Ptr(false),
		Simple:      gl.Ptr(true),
	}, gl.WithContext(ctx))
	if err != nil {
		return Check{}, classify("list the user's projects", err)
	}
	if len(projects) == 0 {
		out.Warnings = append(out.Warnings, Warning{Code: WarnNoProjects, Message: NoProjectsError(out.Username).Message + "; " + NoProjectsError(out.Username).Hint})
	}
	return out, nil
}

func expiryMessage(at time.Time, left time.Duration) string {
	date := at.UTC().Format(time.DateOnly)
	switch {
	case left <= 0:
		return "the token has expired (" + date + ")"
	case left < 24*time.Hour:
		return fmt.Sprintf("the token expires within %d hours (%s)", int(left.Hours())+1, date)
	}
	days := int(math.Ceil(left.Hours() / 24))
	if days == 1 {
		return "the token expires tomorrow (" + date + ")"
	}
	return fmt.Sprintf("the token expires on %s, in %d days", date, days)
}

// versionJSON is GET /version.
type versionJSON struct {
	Version    string `json:"version"`
	Revision   string `json:"revision"`
	Enterprise bool   `json:"enterprise"`
}

// checkVersion reads /api/v4/version and decides whether GitLab answered.
func (c *Client) checkVersion(ctx context.Context, out *Check) error {
	const op = "read GitLab's version (GET /api/v4/version)"
	req, err := c.api.NewRequest(http.MethodGet, "version", nil, []gl.RequestOptionFunc{gl.WithContext(ctx)})
	if err != nil {
		return classify(op, err)
	}
	var body bytes.Buffer
	resp, err := c.api.Do(req, &body)
	if err != nil {
		e := classify(op, err).(*Error)
		if e.Code == CodeNotFound {
			return c.notGitLab(op, "nothing answers at "+c.base.String()+"/api/v4/version (404)", e.Err)
		}
		return e
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ct == "text/html" || bytes.HasPrefix(bytes.TrimSpace(body.Bytes()), []byte("<")) {
		return c.notGitLab(op, "the URL answered with an HTML page, not GitLab's API", nil)
	}
	var v versionJSON
	if err := json.Unmarshal(body.Bytes(), &v); err != nil {
		return c.notGitLab(op, "the URL answered with something that is not JSON", err)
	}
	if v.Version == "" {
		return c.notGitLab(op, "the URL answered JSON without a GitLab version", nil)
	}
	out.Version, out.Revision, out.Enterprise = v.Version, v.Revision, v.Enterprise
	return nil
}

func (c *Client) notGitLab(op, msg string, err error) *Error {
	return &Error{
		Code:    CodeNotGitLab,
		Op:      op,
		Message: msg + ": this does not look like a GitLab instance",
		Hint:    "check that the URL is the GitLab instance root (the address of its sign-in page without /users/sign_in), including the relative path if GitLab is served under one",
		Err:     err,
	}
}

// checkToken reads the token's name, scopes and expiry.
func (c *Client) checkToken(ctx context.Context, out *Check) error {
	if c.kind == TokenOAuth {
		return c.checkOAuthToken(ctx, out)
	}
	tok, _, err := c.api.PersonalAccessTokens.GetSinglePersonalAccessToken(gl.WithContext(ctx))
	if err != nil {
		e := classify("read the token's scopes (GET /personal_access_tokens/self)", err).(*Error)
		if e.Code != CodeNotFound {
			return e
		}
		// GitLab before 15.5 has no such endpoint.
		out.Warnings = append(out.Warnings, Warning{
			Code:    WarnScopesUnknown,
			Message: fmt.Sprintf("GitLab %s cannot tell a token's scopes or expiry (it needs 15.5 or later): make sure the token has the api scope and watch its expiry date yourself", out.Version),
		})
		return nil
	}
	out.TokenName = tok.Name
	out.Scopes = slices.Clone(tok.Scopes)
	if out.Scopes == nil {
		out.Scopes = []string{}
	}
	if tok.ExpiresAt != nil {
		t := time.Time(*tok.ExpiresAt)
		day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		out.ExpiresAt = &day
	}
	return nil
}

// oauthInfoJSON is GET /oauth/token/info: Doorkeeper's fields plus
// GitLab's "scopes" and "expires_in_seconds".
type oauthInfoJSON struct {
	Scope            []string `json:"scope"`
	Scopes           []string `json:"scopes"`
	ExpiresIn        *int64   `json:"expires_in"`
	ExpiresInSeconds *int64   `json:"expires_in_seconds"`
}

func (c *Client) checkOAuthToken(ctx context.Context, out *Check) error {
	const op = "read the token's scopes (GET /oauth/token/info)"
	u := *c.base
	u.Path += "/oauth/token/info"
	req, err := c.api.NewRequestToURL(http.MethodGet, &u, nil, []gl.RequestOptionFunc{gl.WithContext(ctx)})
	if err != nil {
		return classify(op, err)
	}
	var info oauthInfoJSON
	if _, err := c.api.Do(req, &info); err != nil {
		e := classify(op, err).(*Error)
		if e.Status == http.StatusUnauthorized {
			// The API took the token, the OAuth server does not know it.
			e.Code = CodeUnauthorized
			e.Message = "GitLab does not know the token as an OAuth token"
			e.Hint = `if it is a personal, project, group or service-account access token, choose the token type "personal"`
		}
		return e
	}
	out.Scopes = info.Scopes
	if out.Scopes == nil {
		out.Scopes = info.Scope
	}
	if out.Scopes == nil {
		out.Scopes = []string{}
	}
	secs := info.ExpiresInSeconds
	if secs == nil {
		secs = info.ExpiresIn
	}
	if secs != nil {
		t := time.Now().Add(time.Duration(*secs) * time.Second).Truncate(time.Second)
		out.ExpiresAt = &t
	}
	return nil
}

// missingScopes decides whether the scopes let airlock work: the api scope
// for the API, and git access (which api includes) for clones and
// remediation pushes. nil scopes (unknown) pass.
func missingScopes(scopes []string) *Error {
	if scopes == nil || slices.Contains(scopes, "api") {
		return nil
	}
	missing := []string{"api"}
	if !slices.ContainsFunc(scopes, func(s string) bool {
		return s == "read_api" || s == "read_repository" || s == "write_repository"
	}) {
		missing = append(missing, "read_repository")
	}
	if !slices.Contains(scopes, "write_repository") {
		missing = append(missing, "write_repository")
	}
	var parts []string
	for _, s := range missing {
		parts = append(parts, fmt.Sprintf("%s (without it: no %s)", s, scopeBreaks[s]))
	}
	have := strings.Join(scopes, ", ")
	if have == "" {
		have = "none"
	}
	return &Error{
		Code:    CodeInsufficientScope,
		Op:      "check the token's scopes",
		Message: fmt.Sprintf("the token lacks the scopes %s; it has %s", strings.Join(parts, ", "), have),
		Hint:    "create a token with the api, read_repository and write_repository scopes (api alone also allows git clone and push)",
		Scope:   "api",
	}
}
