package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab"
	"github.com/airlock-sec/airlock/internal/integration"
	"github.com/airlock-sec/airlock/internal/netx"
	"github.com/airlock-sec/airlock/internal/store"
)

// The OAuth application connect (docs/ui.md): the wizard sends the admin
// to GitLab's /oauth/authorize with a PKCE challenge; GitLab sends them
// back to the callback with a code, which the server trades for tokens
// and connects with. What the callback needs (the state, the verifier,
// the application's secret) travels in a cookie sealed with the keyring
// for the admin's session, valid for ten minutes.

const (
	oauthCookie   = "airlock_oauth"
	oauthCallback = "/integrations/oauth/callback"
	oauthWait     = 10 * time.Minute
)

// oauthPending is the wizard's state between the redirect to GitLab and
// the callback.
type oauthPending struct {
	State    string `json:"state"`
	Verifier string `json:"verifier"`
	Name     string `json:"name"`
	URL      string `json:"url"`
	CACert   string `json:"ca_cert"`
	ProxyURL string `json:"proxy_url"`
	// ViaAgent routes the code exchange, and the integration, through
	// the agent pool AgentPool.
	ViaAgent  bool   `json:"via_agent,omitempty"`
	AgentPool string `json:"agent_pool,omitempty"`
	ClientID  string `json:"client_id"`
	Secret    string `json:"secret"`
	// Selection is the wizard's step 4 (wizardSelection).
	Selection string `json:"selection,omitempty"`
	// Reauth is the integration whose grant this authorization
	// replaces (its page's Re-authorize), 0 for a new connection.
	Reauth   int64     `json:"reauth,omitempty"`
	Redirect string    `json:"redirect"`
	Expires  time.Time `json:"expires"`
}

// oauthGrant is what create stores with an OAuth integration.
type oauthGrant struct {
	ClientID, Secret, Refresh, Redirect string
	ExpiresAt                           time.Time
}

func oauthAAD(sessionID int64) []byte {
	return []byte("oauth-pending:session:" + strconv.FormatInt(sessionID, 10))
}

// callbackURL is the address GitLab sends the admin back to: the
// application's callback URL to register.
func (s *Server) callbackURL(r *http.Request) string {
	return s.baseURL(r) + oauthCallback
}

// baseURL is this server's address as browsers and agents reach it:
// the public URL, else the request's.
func (s *Server) baseURL(r *http.Request) string {
	if s.c.PublicURL != "" {
		return strings.TrimSuffix(s.c.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// oauthAuthorize starts the flow from the wizard's form.
func (s *Server) oauthAuthorize(w http.ResponseWriter, r *http.Request, ws webSession, v wizardView, req integrationRequest, show func(int, error)) {
	clientID, secret := strings.TrimSpace(r.PostFormValue("oauth_client_id")), strings.TrimSpace(r.PostFormValue("oauth_client_secret"))
	// The browser goes to GitLab and back to airlock itself; only the
	// code exchange is the server's call, through the agents when the
	// integration is routed via an agent pool.
	placeholder := "oauth"
	req.Token = &placeholder
	in := store.Integration{}
	var conn integration.Connection
	if err := s.requireConnection(req, &in, &conn); err != nil {
		show(http.StatusUnprocessableEntity, err)
		return
	}
	if clientID == "" || secret == "" {
		show(http.StatusUnprocessableEntity, apiError{Code: "invalid_field", Field: "oauth_client_id", Message: "the application ID and secret are required: copy them from the application's page in GitLab"})
		return
	}
	if err := wizardSelection(v.Selection, &req); err != nil {
		show(http.StatusUnprocessableEntity, err)
		return
	}
	s.startAuthorization(w, r, ws, oauthPending{Name: v.Name, URL: in.URL, CACert: v.CACert, ProxyURL: v.ProxyURL, ViaAgent: conn.ViaAgent, AgentPool: conn.AgentPool, ClientID: clientID, Secret: secret, Selection: v.Selection})
}

// startAuthorization sends the browser to GitLab's authorization with a
// new state and PKCE challenge; p, completed with them, travels sealed
// for this session in the callback's cookie.
func (s *Server) startAuthorization(w http.ResponseWriter, r *http.Request, ws webSession, p oauthPending) {
	verifier, challenge := integration.PKCE()
	p.State, p.Verifier, p.Redirect, p.Expires = randomString(), verifier, s.callbackURL(r), s.c.Now().Add(oauthWait)
	b, _ := json.Marshal(p)
	sealed, err := s.c.Keyring.Seal(b, oauthAAD(ws.ID))
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: oauthCookie, Value: base64.RawURLEncoding.EncodeToString(sealed), Path: oauthCallback, MaxAge: int(oauthWait / time.Second), HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, integration.AuthorizeURL(p.URL, p.ClientID, p.Redirect, p.State, challenge), http.StatusSeeOther)
}

// reauthorizeForm is an OAuth integration's Re-authorize (its page):
// the authorization again with its application, whose new grant then
// replaces the stored one (a refused refresh needs it).
func (s *Server) reauthorizeForm(w http.ResponseWriter, r *http.Request, ws webSession) {
	in, ok := s.uiIntegration(w, r, ws)
	if !ok {
		return
	}
	if in.TokenKind != string(gitlab.TokenOAuth) {
		s.uiFail(w, r, &ws, apiError{Code: "not_oauth", Message: "this integration signs in with an access token: rotate the token instead", Hint: "paste a new token in Test and rotate"})
		return
	}
	_, g, err := integration.ReadGrant(r.Context(), s.c.Store, in.ID)
	var secret string
	if err == nil {
		secret, _, err = g.Open(s.c.Keyring, in.ID)
	}
	if err != nil {
		s.uiFail(w, r, &ws, fmt.Errorf("integration %d: its OAuth grant cannot be read: %w", in.ID, err))
		return
	}
	s.startAuthorization(w, r, ws, oauthPending{Name: in.Name, URL: in.URL, CACert: string(in.CAPEM), ProxyURL: in.ProxyURL, ViaAgent: in.ViaAgent, AgentPool: in.AgentPool, ClientID: g.ClientID, Secret: secret, Reauth: in.ID})
}

// oauthCallbackPage is where GitLab sends the admin back.
func (s *Server) oauthCallbackPage(w http.ResponseWriter, r *http.Request, ws webSession) {
	c, err := r.Cookie(oauthCookie)
	var p oauthPending
	if err == nil {
		var sealed, b []byte
		if sealed, err = base64.RawURLEncoding.DecodeString(c.Value); err == nil {
			if b, err = s.c.Keyring.Open(sealed, oauthAAD(ws.ID)); err == nil {
				err = json.Unmarshal(b, &p)
			}
		}
	}
	http.SetCookie(w, &http.Cookie{Name: oauthCookie, Value: "", Path: oauthCallback, MaxAge: -1, HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
	q := r.URL.Query()
	if err != nil || !sameSecret(q.Get("state"), p.State) || s.c.Now().After(p.Expires) {
		s.uiFail(w, r, &ws, apiError{Code: "oauth_state", Message: "this authorization is not the one this session started, or it took more than ten minutes", Hint: "start again from Connect a GitLab instance"})
		return
	}
	route := "direct"
	if p.ViaAgent {
		route = "agent"
	}
	v := s.newWizardView(r)
	v.Name, v.URL, v.Route, v.AgentPool, v.Auth, v.CACert, v.ProxyURL, v.ClientID, v.Callback, v.Selection = p.Name, p.URL, route, p.AgentPool, "oauth", p.CACert, p.ProxyURL, p.ClientID, p.Redirect, p.Selection
	w.Header().Set("Content-Security-Policy", wizardCSP)
	show := func(e apiError) {
		v.Error = &uiError{Message: e.Message, Hint: e.Hint}
		w.WriteHeader(http.StatusUnprocessableEntity)
		s.render(w, r, "wizard.html", &ws, "Connect GitLab", v)
	}
	if e := q.Get("error"); e != "" {
		show(apiError{Code: "oauth_denied", Message: fmt.Sprintf("GitLab did not authorize airlock (%s): %s", e, q.Get("error_description")),
			Hint: "approve the application in GitLab; check that its callback URL is " + p.Redirect + " and that the api scope is ticked"})
		return
	}
	kind, caCert, proxy := "oauth", p.CACert, p.ProxyURL
	via, pool := p.ViaAgent, p.AgentPool
	req := integrationRequest{Name: &p.Name, URL: &p.URL, TokenKind: &kind, CACert: &caCert, ProxyURL: &proxy, ViaAgent: &via, AgentPool: &pool}
	if err := wizardSelection(p.Selection, &req); err != nil {
		show(err.(apiError))
		return
	}
	tok, err := s.exchange(r.Context(), req, p, q.Get("code"))
	if err != nil {
		var oe *integration.OAuthError
		if errors.As(err, &oe) {
			show(apiError{Code: "oauth_exchange", Message: oe.Error(), Hint: "check the application ID and secret (copy them again from GitLab) and that its callback URL is " + p.Redirect})
			return
		}
		show(apiError{Code: "oauth_exchange", Message: "could not reach GitLab's token endpoint: " + err.Error(), Hint: "check the URL, the CA certificate and the proxy"})
		return
	}
	req.Token = &tok.AccessToken
	req.oauth = &oauthGrant{ClientID: p.ClientID, Secret: p.Secret, Refresh: tok.RefreshToken, Redirect: p.Redirect, ExpiresAt: s.c.Now().Add(time.Duration(tok.ExpiresIn) * time.Second)}
	if p.Reauth != 0 {
		s.reauthorized(w, r, ws, p.Reauth, tok.AccessToken, req.oauth)
		return
	}
	in, err := s.create(r.Context(), req, ws.P)
	if err != nil {
		var ae apiError
		var ce checkError
		switch {
		case errors.As(err, &ce):
			show(ce.apiError)
		case errors.As(err, &ae):
			show(ae)
		default:
			s.uiFail(w, r, &ws, err)
		}
		return
	}
	back(w, r, fmt.Sprintf("/integrations/%d", in.ID), connectedNotice(p.Selection, "through the OAuth application (its tokens are refreshed before they expire)"))
}

// reauthorized keeps the new grant of a Re-authorize: the access token
// is tested and kept as a rotation is (a failed test changes nothing),
// then the grant (secret, refresh token, expiry) replaces the old one.
func (s *Server) reauthorized(w http.ResponseWriter, r *http.Request, ws webSession, id int64, access string, g *oauthGrant) {
	in, err := s.c.Store.Integration(r.Context(), id)
	if err == nil {
		in, err = s.rotate(r.Context(), in, rotateRequest{Token: access, TokenKind: string(gitlab.TokenOAuth)}, ws.P)
	}
	if err == nil {
		err = s.c.Store.InTx(r.Context(), func(t *store.Tx) error { return s.sealGrant(r.Context(), t, id, g) })
	}
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	back(w, r, fmt.Sprintf("/integrations/%d", id), "re-authorized in GitLab: the new grant is kept and refreshed before it expires")
}

func (s *Server) exchange(ctx context.Context, req integrationRequest, p oauthPending, code string) (integration.OAuthToken, error) {
	in := store.Integration{}
	var conn integration.Connection
	if err := applyConnection(req, &in, &conn); err != nil {
		return integration.OAuthToken{}, err
	}
	hc, err := integration.OAuthHTTPClient(conn, s.agents())
	if err != nil {
		return integration.OAuthToken{}, err
	}
	if !conn.ViaAgent {
		// Offline mode: the instance is being configured, not saved yet.
		release, err := netx.PermitCandidate(in.URL)
		if err != nil {
			return integration.OAuthToken{}, err
		}
		defer release()
	}
	ctx, cancel := context.WithTimeout(ctx, s.c.CheckTimeout)
	defer cancel()
	return integration.ExchangeOAuthCode(ctx, hc, in.URL, p.ClientID, p.Secret, code, p.Redirect, p.Verifier)
}

// sealGrant stores the OAuth grant of a new integration, in its
// creation's transaction.
func (s *Server) sealGrant(ctx context.Context, t *store.Tx, id int64, g *oauthGrant) error {
	secret, err := s.c.Keyring.Seal([]byte(g.Secret), integration.AAD(id, integration.FieldOAuthSecret))
	if err != nil {
		return err
	}
	refresh, err := s.c.Keyring.Seal([]byte(g.Refresh), integration.AAD(id, integration.FieldOAuthRefresh))
	if err != nil {
		return err
	}
	b, _ := json.Marshal(integration.OAuthGrant{ClientID: g.ClientID, SecretSealed: secret, RefreshSealed: refresh, RedirectURI: g.Redirect, ExpiresAt: g.ExpiresAt})
	return t.SetOAuthGrant(ctx, id, string(b))
}
