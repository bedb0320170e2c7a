// Package integration is a connected GitLab instance as the platform uses
// it: its sealed settings opened into a Connection, the GitLab client built
// for that connection (only ever allowed to reach that GitLab), and the
// stored outcome of Test Connection. The API and the jobs share it.
package integration

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab"
	"github.com/airlock-sec/airlock/internal/keyring"
	"github.com/airlock-sec/airlock/internal/netx"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/tunnel"
)

// Seal field names, bound into each ciphertext with the row's ID.
const (
	FieldToken   = "token"
	FieldWebhook = "webhook_secret"
)

// AAD binds a sealed value to its integration and field, so that sealed
// values cannot be swapped between rows or fields.
func AAD(integrationID int64, field string) []byte {
	return []byte("integration:" + strconv.FormatInt(integrationID, 10) + ":" + field)
}

// Connection is what is needed to talk to an integration's GitLab.
type Connection struct {
	URL       string
	Token     string
	TokenKind string
	CAPEM     string
	ProxyURL  string
	NoProxy   string
	ViaAgent  bool
	// AgentPool is the pool of agents a ViaAgent connection goes through.
	AgentPool string
}

// Agents routes calls through connected on-prem agents (a *tunnel.Hub).
type Agents interface {
	// Transport carries requests to gitlabURL through the pool's agents.
	Transport(pool, gitlabURL string) http.RoundTripper
}

// AgentHeldToken stands in for the token of an integration whose agents
// hold it: they replace it with their own on every call.
const AgentHeldToken = "held-by-the-agent"

// ErrNoAgent is returned for integrations routed through an on-prem agent
// while none is connected.
var ErrNoAgent = errors.New("this integration is routed through an on-prem agent, and no agent is connected: start 'airlock agent' in the network that reaches GitLab")

// NewClient builds a GitLab client for a connection: an HTTP client from
// netx allowed to reach only the GitLab host (and the proxy), or, for a
// connection routed via agent, the transport of its pool's agents.
func NewClient(c Connection, logger *slog.Logger, agents Agents) (*gitlab.Client, error) {
	if c.ViaAgent {
		if agents == nil {
			return nil, &gitlab.Error{Code: CodeAgentNotConnected, Message: ErrNoAgent.Error(), Err: ErrNoAgent}
		}
		tok := c.Token
		if tok == "" {
			tok = AgentHeldToken
		}
		return gitlab.New(gitlab.Config{BaseURL: c.URL, Token: tok, TokenKind: gitlab.TokenKind(c.TokenKind),
			HTTPClient: &http.Client{Transport: agents.Transport(c.AgentPool, c.URL)}, UserAgent: "airlock", Logger: logger})
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		return nil, err
	}
	hc, err := netx.NewClient(netx.Config{CAPEM: []byte(c.CAPEM), ProxyURL: c.ProxyURL, NoProxy: c.NoProxy, Allow: []string{u.Host},
		Timeouts: netx.Timeouts{ResponseHeader: time.Duration(responseTimeout.Load())}})
	if err != nil {
		return nil, err
	}
	return gitlab.New(gitlab.Config{BaseURL: c.URL, Token: c.Token, TokenKind: gitlab.TokenKind(c.TokenKind), HTTPClient: hc, UserAgent: "airlock", Logger: logger})
}

// responseTimeout bounds the wait for GitLab's answer to a direct call
// (serve's --gitlab-timeout); 0 is netx's default.
var responseTimeout atomic.Int64

// SetResponseTimeout sets how long a direct GitLab call waits for the
// answer's headers before it fails as a timeout (CodeTimeout, retried
// as such); d <= 0 restores the default (2 minutes). It applies to the
// clients made after it, for the process.
func SetResponseTimeout(d time.Duration) {
	responseTimeout.Store(int64(max(d, 0)))
}

// Open opens an integration's sealed token into a Connection.
func Open(k *keyring.Keyring, in store.Integration) (Connection, error) {
	if len(in.TokenSealed) == 0 && in.ViaAgent {
		// The agents hold the token.
		return Connection{URL: in.URL, TokenKind: in.TokenKind, ViaAgent: true, AgentPool: in.AgentPool}, nil
	}
	tok, err := k.Open(in.TokenSealed, AAD(in.ID, FieldToken))
	if err != nil {
		return Connection{}, fmt.Errorf("integration %d: token: %w", in.ID, err)
	}
	return Connection{URL: in.URL, Token: string(tok), TokenKind: in.TokenKind, CAPEM: in.CAPEM, ProxyURL: in.ProxyURL, NoProxy: in.NoProxy, ViaAgent: in.ViaAgent, AgentPool: in.AgentPool}, nil
}

// CheckResult is the stored outcome of Test Connection, as the API shows
// it.
type CheckResult struct {
	OK         bool           `json:"ok"`
	Version    string         `json:"version,omitempty"`
	Username   string         `json:"username,omitempty"`
	Admin      bool           `json:"admin"`
	Bot        bool           `json:"bot"`
	TokenName  string         `json:"token_name,omitempty"`
	Scopes     []string       `json:"scopes,omitempty"`
	ExpiresAt  *string        `json:"expires_at,omitempty"`
	Warnings   []CheckMessage `json:"warnings,omitempty"`
	Error      *CheckMessage  `json:"error,omitempty"`
	CheckedVia string         `json:"checked_via,omitempty"`
	// LastOKAt is when a test of the integration last succeeded: this
	// one's time when it did, else carried from the previous result
	// (nil when none ever did). The hub says "last worked at" with it.
	LastOKAt *time.Time `json:"last_ok_at,omitempty"`
}

// Record stores res as in's latest test result, tested at now, carrying
// the time it last worked over from the previous result when this one
// failed.
func Record(in *store.Integration, res CheckResult, now time.Time) {
	if res.OK {
		t := now.UTC()
		res.LastOKAt = &t
	} else if prev := StoredCheck(*in); prev.OK && in.CheckedAt != nil {
		t := in.CheckedAt.UTC()
		res.LastOKAt = &t
	} else {
		res.LastOKAt = prev.LastOKAt
	}
	in.Check, _ = json.Marshal(res)
	in.CheckedAt = &now
}

// CheckMessage is a warning or an error with a stable code.
type CheckMessage struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// NewCheckResult turns Check's outcome into its stored form.
func NewCheckResult(c gitlab.Check, err error) CheckResult {
	r := CheckResult{OK: err == nil, Version: c.Version, Username: c.Username, Admin: c.Admin, Bot: c.Bot, TokenName: c.TokenName, Scopes: c.Scopes}
	if c.ExpiresAt != nil {
		s := c.ExpiresAt.Format("2006-01-02")
		r.ExpiresAt = &s
	}
	for _, w := range c.Warnings {
		r.Warnings = append(r.Warnings, CheckMessage{Code: string(w.Code), Message: w.Message})
	}
	if err != nil {
		r.Error = ErrorMessage(err)
	}
	return r
}

// CodeAgentNotConnected is the error code of a call routed via agent
// that found no agent of its pool.
const CodeAgentNotConnected = "agent_not_connected"

// ErrorMessage gives an error its code, message and hint.
func ErrorMessage(err error) *CheckMessage {
	if na, ok := errors.AsType[*tunnel.NoAgentError](err); ok {
		return &CheckMessage{Code: CodeAgentNotConnected, Message: na.Error(), Hint: "check that the agent runs and is connected (GET /api/v1/integrations/{id}/agents), and its log"}
	}
	if ref, ok := errors.AsType[*tunnel.RefusedError](err); ok {
		return &CheckMessage{Code: ref.Code, Message: ref.Message, Hint: ref.Hint}
	}
	var ge *gitlab.Error
	if errors.As(err, &ge) {
		return &CheckMessage{Code: string(ge.Code), Message: ge.Message, Hint: ge.Hint}
	}
	return &CheckMessage{Code: "error", Message: err.Error()}
}

// StoredCheck is the integration's last Test Connection result.
func StoredCheck(in store.Integration) CheckResult {
	var c CheckResult
	json.Unmarshal(in.Check, &c)
	return c
}
