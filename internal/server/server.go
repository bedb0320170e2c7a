// Package server is airlock's HTTP side: the REST API under /api/v1 (with
// its OpenAPI document), the GitLab webhook receiver, health and readiness
// probes and Prometheus metrics.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/riverqueue/river"

	"github.com/airlock-sec/airlock/internal/job"
	"github.com/airlock-sec/airlock/internal/keyring"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/tunnel"
)

// Config wires the server.
type Config struct {
	Store   *store.Store
	Keyring *keyring.Keyring
	// Jobs enqueues work in the store's transactions.
	Jobs   job.Inserter
	Logger *slog.Logger
	// PublicURL is how GitLab and people reach this server
	// ("https://airlock.corp"); webhooks are registered under it.
	PublicURL string
	// Version is reported by /api/v1/version and in metrics.
	Version string
	// Ready adds checks to /readyz beyond the database (the job client
	// running, say); nil adds none.
	Ready func(context.Context) error
	// Now returns the time; time.Now when nil.
	Now func() time.Time
	// CheckTimeout bounds Test Connection (default 30s).
	CheckTimeout time.Duration
	// Data imports uploaded bundles; nil refuses uploads.
	Data DataManager
	// Agents is where on-prem agents connect (its Authenticate from
	// Authenticator); nil refuses them.
	Agents *tunnel.Hub
	// HookRemovalTimeout bounds the removal of webhooks when an
	// integration is deleted (default 20s); the purge job finishes it.
	HookRemovalTimeout time.Duration
	// MaxBundleUpload bounds an uploaded data bundle (the API's and the
	// data page's); 0 means DefaultMaxBundleUpload.
	MaxBundleUpload int64
	// SessionTTL is how long a web UI session lasts without use (default
	// 12h); each use extends it.
	SessionTTL time.Duration
}

// Server serves the API and the webhooks.
type Server struct {
	c       Config
	log     *slog.Logger
	mux     *http.ServeMux
	reg     *prometheus.Registry
	metrics *metrics
	routes  []route

	secretsMu sync.Mutex
	secrets   map[int64]webhookSecret

	touchedMu sync.Mutex
	touched   map[int64]time.Time

	ingest ingestor
	// pgxJobs inserts the webhook jobs in pgx transactions on
	// PostgreSQL (nil on SQLite, where Jobs does).
	pgxJobs *river.Client[pgx.Tx]
}

// route is one registered endpoint, for the OpenAPI consistency test.
type route struct {
	Method, Path string
	Public       bool
}

// New builds the server.
func New(c Config) (*Server, error) {
	if c.Store == nil || c.Keyring == nil || c.Jobs == nil {
		return nil, errors.New("server: Store, Keyring and Jobs are required")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.CheckTimeout == 0 {
		c.CheckTimeout = 30 * time.Second
	}
	if c.HookRemovalTimeout == 0 {
		c.HookRemovalTimeout = 20 * time.Second
	}
	if c.MaxBundleUpload <= 0 {
		c.MaxBundleUpload = DefaultMaxBundleUpload
	}
	if c.SessionTTL == 0 {
		c.SessionTTL = 12 * time.Hour
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	s := &Server{c: c, log: c.Logger, mux: http.NewServeMux(), reg: prometheus.NewRegistry(), secrets: map[int64]webhookSecret{}, touched: map[int64]time.Time{}}
	s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.metrics = newMetrics(s.reg, c.Store, c.Version)
	s.ingest.limit = 1
	if c.Store.Dialect() == store.Postgres {
		s.ingest.limit = 2
		var err error
		if s.pgxJobs, err = job.NewPgxInserter(c.Logger); err != nil {
			return nil, fmt.Errorf("server: %w", err)
		}
	}
	s.register()
	return s, nil
}

// Handler is the server's root handler.
func (s *Server) Handler() http.Handler { return s.recoverer(s.mux) }

func (s *Server) register() {
	s.public("GET /healthz", s.healthz)
	s.public("GET /readyz", s.readyz)
	s.public("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}).ServeHTTP)
	s.public("POST /webhooks/gitlab/{integration}", s.webhook)
	s.public("GET "+tunnel.ConnectPath, s.agentConnect)

	s.api("GET /api/v1/openapi.json", store.RoleViewer, s.openapi)
	s.api("GET /api/v1/version", store.RoleViewer, s.version)
	s.api("GET /api/v1/me", store.RoleViewer, s.me)
	s.api("GET /api/v1/tokens", store.RoleAdmin, s.listTokens)
	s.api("POST /api/v1/tokens", store.RoleAdmin, s.createToken)
	s.api("DELETE /api/v1/tokens/{id}", store.RoleAdmin, s.deleteToken)
	s.api("GET /api/v1/integrations", store.RoleViewer, s.listIntegrations)
	s.api("POST /api/v1/integrations", store.RoleAdmin, s.createIntegration)
	s.api("POST /api/v1/connection-tests", store.RoleAdmin, s.testNewConnection)
	s.api("GET /api/v1/integrations/{id}", store.RoleViewer, s.getIntegration)
	s.api("PATCH /api/v1/integrations/{id}", store.RoleAdmin, s.updateIntegration)
	s.api("DELETE /api/v1/integrations/{id}", store.RoleAdmin, s.deleteIntegration)
	s.api("POST /api/v1/integrations/{id}/test", store.RoleAdmin, s.testIntegration)
	s.api("PUT /api/v1/integrations/{id}/token", store.RoleAdmin, s.rotateToken)
	s.api("PUT /api/v1/integrations/{id}/selection", store.RoleAdmin, s.setSelection)
	s.api("POST /api/v1/integrations/{id}/discover", store.RoleAdmin, s.discover)
	s.api("GET /api/v1/integrations/{id}/events", store.RoleViewer, s.listEvents)
	s.api("GET /api/v1/projects", store.RoleViewer, s.listProjects)
	s.api("GET /api/v1/projects/{id}", store.RoleViewer, s.getProject)
	s.api("POST /api/v1/projects/{id}/scans", store.RoleAdmin, s.scanProject)
	s.api("GET /api/v1/scans", store.RoleViewer, s.listScans)
	s.api("GET /api/v1/scans/{id}", store.RoleViewer, s.getScan)
	s.api("GET /api/v1/findings", store.RoleViewer, s.listFindings)
	s.api("GET /api/v1/findings/{id}", store.RoleViewer, s.getFinding)
	s.api("POST /api/v1/findings/{id}/dismiss", store.RoleAdmin, s.dismissFinding)
	s.api("POST /api/v1/findings/{id}/reopen", store.RoleAdmin, s.reopenFinding)
	s.api("GET /api/v1/fix-plans", store.RoleViewer, s.listFixPlans)
	s.api("GET /api/v1/fix-plans/{id}", store.RoleViewer, s.getFixPlan)
	s.api("POST /api/v1/fix-plans/{id}/approve", store.RoleAdmin, s.approveFixPlan)
	s.api("POST /api/v1/fix-plans/{id}/reject", store.RoleAdmin, s.rejectFixPlan)
	s.api("GET /api/v1/audit", store.RoleAdmin, s.auditLog)
	s.api("GET /api/v1/data", store.RoleViewer, s.dataStatus)
	s.api("POST /api/v1/data/bundles", store.RoleAdmin, s.uploadBundle)
	s.api("GET /api/v1/agent-keys", store.RoleAdmin, s.listAgentKeys)
	s.api("POST /api/v1/agent-keys", store.RoleAdmin, s.createAgentKey)
	s.api("DELETE /api/v1/agent-keys/{id}", store.RoleAdmin, s.deleteAgentKey)
	s.api("GET /api/v1/integrations/{id}/agents", store.RoleViewer, s.listIntegrationAgents)
	s.api("GET /api/v1/dashboard", store.RoleViewer, s.dashboardAPI)
	s.api("GET /api/v1/sessions", store.RoleAdmin, s.listSessions)
	s.api("DELETE /api/v1/sessions/{id}", store.RoleAdmin, s.deleteSession)
	s.registerUI()
}

func (s *Server) public(pattern string, h http.HandlerFunc) {
	method, path, _ := strings.Cut(pattern, " ")
	s.routes = append(s.routes, route{Method: method, Path: path, Public: true})
	s.mux.Handle(pattern, s.instrument(path, h))
}

func (s *Server) api(pattern string, role store.Role, h func(http.ResponseWriter, *http.Request, principal)) {
	method, path, _ := strings.Cut(pattern, " ")
	s.routes = append(s.routes, route{Method: method, Path: path})
	s.mux.Handle(pattern, s.instrument(path, s.authenticated(role, h)))
}

// recoverer turns a panic in a handler into a 500 that names no internals.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("handler panic", "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				writeError(w, http.StatusInternalServerError, apiError{Code: "internal", Message: "internal error; the server log has details"})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if err := s.c.Store.Ping(r.Context()); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "database: " + err.Error()})
		return
	}
	if s.c.Ready != nil {
		if err := s.c.Ready(r.Context()); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": err.Error()})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) version(w http.ResponseWriter, r *http.Request, _ principal) {
	v, _ := s.c.Store.SchemaVersion(r.Context())
	writeJSON(w, http.StatusOK, map[string]any{"version": s.c.Version, "database": string(s.c.Store.Dialect()), "schema_version": v})
}

// apiError is the body of every error response.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
	Field   string `json:"field,omitempty"`
}

func (e apiError) Error() string { return e.Message }

// conflictError is a request the resource's state refuses, answered 409.
type conflictError struct{ apiError }

// upstreamError is a failure of GitLab, answered 502.
type upstreamError struct{ apiError }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, e apiError) {
	writeJSON(w, status, map[string]apiError{"error": e})
}

// fail maps an error to a response: store sentinels to 404/409, apiError
// as it is (422 unless told), anything else to a logged 500.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ae apiError
	var ue upstreamError
	var ce conflictError
	switch {
	case errors.As(err, &ue):
		writeError(w, http.StatusBadGateway, ue.apiError)
	case errors.As(err, &ce):
		writeError(w, http.StatusConflict, ce.apiError)
	case errors.As(err, &ae):
		writeError(w, http.StatusUnprocessableEntity, ae)
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, apiError{Code: "not_found", Message: strings.TrimPrefix(err.Error(), "store: ")})
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, apiError{Code: "conflict", Message: "already exists"})
	case errors.Is(err, context.Canceled):
		writeError(w, 499, apiError{Code: "canceled", Message: "request canceled"})
	default:
		s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "error", err.Error())
		writeError(w, http.StatusInternalServerError, apiError{Code: "internal", Message: "internal error; the server log has details"})
	}
}

// maxBody bounds API request bodies.
const maxBody = 1 << 20

// decode reads a JSON body strictly: unknown fields and trailing data are
// errors that name the field.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		var mb *http.MaxBytesError
		switch {
		case errors.Is(err, io.EOF):
			return apiError{Code: "invalid_body", Message: "the request body is empty: send a JSON object"}
		case errors.As(err, &se):
			return apiError{Code: "invalid_body", Message: fmt.Sprintf("the request body is not valid JSON (at byte %d): %v", se.Offset, err)}
		case errors.As(err, &te):
			return apiError{Code: "invalid_field", Field: te.Field, Message: fmt.Sprintf("field %q must be %s, not %s", te.Field, te.Type, te.Value)}
		case errors.As(err, &mb):
			return apiError{Code: "invalid_body", Message: fmt.Sprintf("the request body is larger than %d bytes", maxBody)}
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return apiError{Code: "invalid_field", Field: f, Message: fmt.Sprintf("unknown field %q", f)}
		}
		return apiError{Code: "invalid_body", Message: err.Error()}
	}
	if dec.More() {
		return apiError{Code: "invalid_body", Message: "the request body has data after the JSON object"}
	}
	return nil
}

// pathID reads a numeric path parameter.
func pathID(r *http.Request, name string) (int64, error) {
	v := r.PathValue(name)
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, apiError{Code: "invalid_path", Field: name, Message: fmt.Sprintf("%s %q is not a positive integer", name, v)}
	}
	return id, nil
}

// queryInt reads an optional numeric query parameter.
func queryInt(r *http.Request, name string, def, maxValue int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err == nil && n == 0 && name == "limit" {
		return def, nil
	}
	if err != nil || n < 0 || (maxValue > 0 && n > maxValue) {
		msg := fmt.Sprintf("query parameter %s=%q must be a non-negative integer", name, v)
		if maxValue > 0 {
			msg += fmt.Sprintf(" up to %d", maxValue)
		}
		return 0, apiError{Code: "invalid_query", Field: name, Message: msg}
	}
	return n, nil
}

// page is a list response: the items and the cursor of the next page.
type page[T any] struct {
	Items []T    `json:"items"`
	Next  *int64 `json:"next_after,omitempty"`
}

func newPage[T any](items []T, limit int64, id func(T) int64) page[T] {
	p := page[T]{Items: items}
	if int64(len(items)) == limit && len(items) > 0 {
		n := id(items[len(items)-1])
		p.Next = &n
	}
	return p
}
