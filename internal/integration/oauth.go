package integration

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab"
	"github.com/airlock-sec/airlock/internal/keyring"
	"github.com/airlock-sec/airlock/internal/netx"
)

// The sealed fields of an OAuth grant (see AAD).
const (
	FieldOAuthSecret  = "oauth_client_secret"
	FieldOAuthRefresh = "oauth_refresh_token"
)

// OAuthScope is the scope airlock asks of a GitLab OAuth application.
const OAuthScope = "api"

// OAuthGrant is what airlock keeps of an integration connected through a
// GitLab OAuth application: the application's ID, its secret and the
// refresh token (both sealed with the keyring), when the access token
// expires, and why the last refresh failed.
type OAuthGrant struct {
	ClientID      string    `json:"client_id"`
	SecretSealed  []byte    `json:"secret_sealed"`
	RefreshSealed []byte    `json:"refresh_sealed"`
	RedirectURI   string    `json:"redirect_uri"`
	ExpiresAt     time.Time `json:"expires_at"`
	RefreshError  string    `json:"refresh_error,omitempty"`
}

// ReadGrant reads integration id's stored grant; raw is the stored text,
// which a later replacement compares against (store.SwapOAuthGrant).
// An integration without one gives an empty raw.
func ReadGrant(ctx context.Context, st interface {
	OAuthGrant(context.Context, int64) (string, error)
}, id int64) (raw string, g OAuthGrant, err error) {
	if raw, err = st.OAuthGrant(ctx, id); err != nil || raw == "" {
		return raw, g, err
	}
	err = json.Unmarshal([]byte(raw), &g)
	return raw, g, err
}

// Open opens the grant's application secret and refresh token, sealed
// for integration id.
func (g OAuthGrant) Open(k *keyring.Keyring, id int64) (secret, refresh string, err error) {
	s, err := k.Open(g.SecretSealed, AAD(id, FieldOAuthSecret))
	if err != nil {
		return "", "", err
	}
	rt, err := k.Open(g.RefreshSealed, AAD(id, FieldOAuthRefresh))
	return string(s), string(rt), err
}

// OAuthToken is GitLab's answer of POST /oauth/token.
type OAuthToken struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
	CreatedAt    int64  `json:"created_at"`
}

// OAuthError is GitLab's refusal of a token request (Doorkeeper's
// "error" and "error_description").
type OAuthError struct {
	Status      int
	Code        string `json:"error"`
	Description string `json:"error_description"`
}

func (e *OAuthError) Error() string {
	msg := fmt.Sprintf("GitLab refused the OAuth token request (HTTP %d, %s)", e.Status, e.Code)
	if e.Description != "" {
		msg += ": " + e.Description
	}
	return msg
}

// PKCE makes a code verifier and its S256 challenge (RFC 7636).
func PKCE() (verifier, challenge string) {
	b := make([]byte, 32)
	rand.Read(b)
	verifier = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// AuthorizeURL is where the user approves the application in GitLab.
func AuthorizeURL(base, clientID, redirectURI, state, challenge string) string {
	q := url.Values{"client_id": {clientID}, "redirect_uri": {redirectURI}, "response_type": {"code"}, "state": {state}, "scope": {OAuthScope},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	return strings.TrimRight(base, "/") + "/oauth/authorize?" + q.Encode()
}

// OAuthHTTPClient is the client for GitLab's token endpoint: the
// connection's CA and proxy, GitLab's host only; for a connection routed
// via agent, its pool's agents (whose allowlist has POST /oauth/token),
// as for its API calls.
func OAuthHTTPClient(c Connection, agents Agents) (*http.Client, error) {
	if c.ViaAgent {
		if agents == nil {
			return nil, &gitlab.Error{Code: CodeAgentNotConnected, Message: ErrNoAgent.Error(), Err: ErrNoAgent}
		}
		return &http.Client{Transport: agents.Transport(c.AgentPool, c.URL)}, nil
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		return nil, err
	}
	return netx.NewClient(netx.Config{CAPEM: []byte(c.CAPEM), ProxyURL: c.ProxyURL, NoProxy: c.NoProxy, Allow: []string{u.Host}})
}

// ExchangeOAuthCode trades an authorization code and its PKCE verifier
// for tokens.
func ExchangeOAuthCode(ctx context.Context, hc *http.Client, base, clientID, secret, code, redirectURI, verifier string) (OAuthToken, error) {
	return oauthToken(ctx, hc, base, url.Values{"grant_type": {"authorization_code"}, "client_id": {clientID}, "client_secret": {secret}, "code": {code}, "redirect_uri": {redirectURI}, "code_verifier": {verifier}})
}

// RefreshOAuth trades a refresh token for new tokens; GitLab revokes the
// refresh token used.
func RefreshOAuth(ctx context.Context, hc *http.Client, base, clientID, secret, refresh, redirectURI string) (OAuthToken, error) {
	return oauthToken(ctx, hc, base, url.Values{"grant_type": {"refresh_token"}, "client_id": {clientID}, "client_secret": {secret}, "refresh_token": {refresh}, "redirect_uri": {redirectURI}})
}

func oauthToken(ctx context.Context, hc *http.Client, base string, form url.Values) (OAuthToken, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return OAuthToken{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return OAuthToken{}, fmt.Errorf("GitLab's token endpoint: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return OAuthToken{}, fmt.Errorf("GitLab's token endpoint: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		e := &OAuthError{Status: resp.StatusCode}
		if json.Unmarshal(body, e) != nil || e.Code == "" {
			e.Code = "unexpected_response"
		}
		return OAuthToken{}, e
	}
	var t OAuthToken
	if err := json.Unmarshal(body, &t); err != nil {
		return OAuthToken{}, fmt.Errorf("GitLab's token endpoint: the answer is not JSON: %w", err)
	}
	if t.AccessToken == "" {
		return OAuthToken{}, fmt.Errorf("GitLab's token endpoint: the answer has no access_token")
	}
	return t, nil
}
