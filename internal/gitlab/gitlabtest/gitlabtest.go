// Package gitlabtest is a stand-in for a GitLab Self-Managed instance, for
// tests. It answers like GitLab's REST API v4 for the endpoints airlock uses
// (bodies shaped like the recorded ones in ../shared/data/gitlab, GitLab's
// pagination headers and error bodies) and serves real bare repositories over
// git smart HTTP through `git http-backend`, so that clones and pushes are
// real.
//
// The stand-in holds a small model — users, tokens, projects with their
// members, project and system hooks, merge requests, notes, commit statuses —
// that a test fills before it drives the code under test against Server.URL,
// and it records every request for assertions.
//
// Like GitLab, it delivers webhooks in the background: Push and Tag Push
// Hooks after a git push or Commit, Merge Request Hooks when a merge request
// opens, closes, reopens or its source branch moves, and a System Hook
// project_create from AddProject. Deliveries, WaitDeliveries and the
// receiver's own records show what was sent; deliveries stop when the test
// ends.
package gitlabtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// AccessLevel is a GitLab role, as the API spells it.
type AccessLevel int

// GitLab's access levels.
const (
	NoAccess   AccessLevel = 0
	Guest      AccessLevel = 10
	Reporter   AccessLevel = 20
	Developer  AccessLevel = 30
	Maintainer AccessLevel = 40
	Owner      AccessLevel = 50
)

// Visibility is a project's visibility level.
type Visibility string

// GitLab's visibility levels.
const (
	Private  Visibility = "private"
	Internal Visibility = "internal"
	Public   Visibility = "public"
)

// Token scopes that the stand-in understands.
const (
	ScopeAPI             = "api"
	ScopeReadAPI         = "read_api"
	ScopeReadUser        = "read_user"
	ScopeReadRepository  = "read_repository"
	ScopeWriteRepository = "write_repository"
)

// User is a GitLab user. Admin makes it an instance administrator, who sees
// every project and acts as an Owner on each. Bot marks the users behind
// project, group and service-account tokens.
type User struct {
	ID       int // assigned by AddUser when zero
	Username string
	Name     string
	Email    string
	Admin    bool
	Bot      bool
}

// Token is an access token of a user. A personal (or project, group,
// service-account) access token is used in PRIVATE-TOKEN or as a Bearer
// token; an OAuth token (OAuth true) only as a Bearer token, and over git
// with the username "oauth2".
type Token struct {
	ID        int    // assigned by AddToken when zero
	Name      string // defaults to "airlock"
	Value     string
	UserID    int
	Scopes    []string
	ExpiresAt *time.Time // a date; the token is expired from its start (UTC)
	Revoked   bool
	OAuth     bool
	CreatedAt time.Time // defaults to the time of AddToken
	// ValidUntil, when set, expires the token at that instant (OAuth
	// access tokens last two hours); ExpiresAt is a date.
	ValidUntil time.Time
	// AppID is the OAuth application that issued the token.
	AppID int
}

// Project is a GitLab project. Path is its full path, "group/name" or
// "group/subgroup/name". The default branch is protected unless
// DefaultBranchUnprotected is set: only Maintainers push to it.
type Project struct {
	ID                       int // assigned by AddProject when zero
	Path                     string
	Description              string
	DefaultBranch            string     // defaults to "main"
	Visibility               Visibility // defaults to Private
	Members                  map[int]AccessLevel
	Archived                 bool
	DefaultBranchUnprotected bool
	CreatedAt                time.Time // defaults to the time of AddProject
}

// Hook is a project hook as the stand-in stores it, secret token included.
type Hook struct {
	ID                     int
	ProjectID              int
	URL                    string
	Token                  string
	PushEvents             bool
	MergeRequestsEvents    bool
	TagPushEvents          bool
	NoteEvents             bool
	EnableSSLVerification  bool
	PushEventsBranchFilter string // wildcard ("*"); empty for every branch
	CreatedAt              time.Time
	UUID                   string // sent as X-Gitlab-Webhook-UUID; assigned when empty
}

// RecordedRequest is one request the stand-in answered.
type RecordedRequest struct {
	Method string
	Path   string // escaped, as sent: "/api/v4/projects/group%2Fname"
	Query  url.Values
	Token  string // from PRIVATE-TOKEN, Authorization: Bearer, or the Basic password; "" if none
	Status int
}

// Option configures a Server.
type Option func(*Server)

// WithVersion sets the version that /api/v4/version reports (default
// "17.5.0-ee").
func WithVersion(v string) Option { return func(s *Server) { s.version = v } }

// WithClock sets the clock that token expiry and timestamps use.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// Server is a running GitLab stand-in.
type Server struct {
	// URL is the instance's root URL, http://127.0.0.1:port, without a
	// trailing slash.
	URL string

	t       tb
	owner   *owner // set by Standalone
	version string
	now     func() time.Time
	repoDir string // GIT_PROJECT_ROOT: <path>.git bare repositories
	gitExec string // the git-http-backend program; "" when git is missing

	mu         sync.Mutex
	users      map[int]*User
	tokens     map[string]*Token
	projects   map[int]*Project
	byPath     map[string]*Project
	namespaces map[string]int
	repos      map[int]bool // projects whose bare repository exists
	filled     map[int]bool // projects whose repository has a commit
	hooks      map[int]*Hook
	lastUsed   map[int]time.Time // token id → last use
	nextID     map[string]int
	requests   []RecordedRequest
	limited    int
	retryAfter time.Duration
	fault      func(*http.Request) Fault
	api        *http.ServeMux

	mrs         map[int]*MergeRequest
	notes       map[int]*Note
	statuses    []*Status
	pipelines   map[string]int // "project sha ref" → pipeline id of its statuses
	systemHooks map[int]*SystemHook

	apps       map[int]*Application
	oauthCodes map[string]*oauthCode
	refreshes  map[string]*oauthRefresh
	oauthTTL   time.Duration

	// pushMu serialises pushes (git receive-pack, Commit), so that the ref
	// snapshots around each one see only its own updates.
	pushMu sync.Mutex

	// Webhook delivery; deliveries and delivered are guarded by mu.
	hookClient     *http.Client
	insecureClient *http.Client
	ownTransports  []*http.Transport
	ctx            context.Context
	cancel         context.CancelFunc
	wg             sync.WaitGroup
	closed         bool
	deliveries     []Delivery
	holding        bool          // HoldDeliveries: dispatches wait in held
	held           [][][]job     // the held dispatches, oldest first
	delivered      chan struct{} // closed and replaced at each finished delivery
}

// New starts a stand-in on 127.0.0.1; it stops when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	return start(t, opts)
}

func start(t tb, opts []Option) *Server {
	s := &Server{
		t:           t,
		version:     "17.5.0-ee",
		now:         time.Now,
		repoDir:     t.TempDir(),
		users:       map[int]*User{},
		tokens:      map[string]*Token{},
		projects:    map[int]*Project{},
		byPath:      map[string]*Project{},
		namespaces:  map[string]int{},
		repos:       map[int]bool{},
		filled:      map[int]bool{},
		hooks:       map[int]*Hook{},
		lastUsed:    map[int]time.Time{},
		nextID:      map[string]int{},
		mrs:         map[int]*MergeRequest{},
		notes:       map[int]*Note{},
		pipelines:   map[string]int{},
		systemHooks: map[int]*SystemHook{},
		apps:        map[int]*Application{},
		oauthCodes:  map[string]*oauthCode{},
		refreshes:   map[string]*oauthRefresh{},
		oauthTTL:    2 * time.Hour,
	}
	for _, o := range opts {
		o(s)
	}
	if out, err := exec.Command("git", "--exec-path").Output(); err == nil {
		s.gitExec = strings.TrimSpace(string(out)) + "/git-http-backend"
	}
	s.api = s.routes()
	ts := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(ts.Close)
	s.URL = ts.URL
	s.startDelivery(t) // its cleanup runs before ts.Close
	return s
}

func (s *Server) id(kind string) int {
	s.nextID[kind]++
	return s.nextID[kind]
}

// AddUser adds a user and returns it with its ID.
func (s *Server) AddUser(u User) *User {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.ID == 0 {
		u.ID = s.id("user")
		for s.users[u.ID] != nil {
			u.ID = s.id("user")
		}
	}
	if u.Username == "" {
		u.Username = "user" + itoa(u.ID)
	}
	if u.Name == "" {
		u.Name = u.Username
	}
	if u.Email == "" {
		u.Email = u.Username + "@example.com"
	}
	s.users[u.ID] = &u
	return &u
}

// AddToken adds an access token of an existing user.
func (s *Server) AddToken(tok Token) *Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users[tok.UserID] == nil {
		s.t.Fatalf("gitlabtest: AddToken: no user %d", tok.UserID)
	}
	if tok.Value == "" {
		s.t.Fatalf("gitlabtest: AddToken: empty Value")
	}
	if tok.ID == 0 {
		tok.ID = s.id("token")
	}
	if tok.Name == "" {
		tok.Name = "airlock"
	}
	if tok.CreatedAt.IsZero() {
		tok.CreatedAt = s.now()
	}
	tok.Scopes = slices.Clone(tok.Scopes)
	s.tokens[tok.Value] = &tok
	return &tok
}

// AddProject adds a project. Its fields must not be changed afterwards.
func (s *Server) AddProject(p Project) *Project {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !strings.Contains(p.Path, "/") || strings.HasPrefix(p.Path, "/") || strings.HasSuffix(p.Path, "/") {
		s.t.Fatalf("gitlabtest: AddProject: path %q is not group/name", p.Path)
	}
	if s.byPath[p.Path] != nil {
		s.t.Fatalf("gitlabtest: AddProject: %s already exists", p.Path)
	}
	if p.ID == 0 {
		p.ID = s.id("project")
		for s.projects[p.ID] != nil {
			p.ID = s.id("project")
		}
	}
	if p.DefaultBranch == "" {
		p.DefaultBranch = "main"
	}
	if p.Visibility == "" {
		p.Visibility = Private
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = s.now()
	}
	members := make(map[int]AccessLevel, len(p.Members))
	for k, v := range p.Members {
		members[k] = v
	}
	p.Members = members
	ns := namespaceOf(p.Path)
	if _, ok := s.namespaces[ns]; !ok {
		s.namespaces[ns] = s.id("namespace")
	}
	s.projects[p.ID] = &p
	s.byPath[p.Path] = &p
	s.systemEventLocked(s.projectCreatePayload(&p))
	return &p
}

// SetMember gives the user a role on the project, as an owner changing
// the project's members would.
func (s *Server) SetMember(p *Project, userID int, level AccessLevel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.projects[p.ID] == nil {
		s.t.Fatalf("gitlabtest: SetMember: unknown project")
	}
	if p.Members == nil {
		p.Members = map[int]AccessLevel{}
	}
	p.Members[userID] = level
}

// AddHook adds a project hook, as POST /projects/:id/hooks would, and
// returns a copy with its ID.
func (s *Server) AddHook(p *Project, h Hook) Hook {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.projects[p.ID] == nil {
		s.t.Fatalf("gitlabtest: AddHook: unknown project")
	}
	h.ProjectID = p.ID
	if h.ID == 0 {
		h.ID = s.id("hook")
	}
	if h.CreatedAt.IsZero() {
		h.CreatedAt = s.now()
	}
	if h.UUID == "" {
		h.UUID = newUUID()
	}
	s.hooks[h.ID] = &h
	return h
}

// Hooks returns the project's hooks, secret tokens included, oldest first.
func (s *Server) Hooks(p *Project) []Hook {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hooksOf(p.ID)
}

func (s *Server) hooksOf(projectID int) []Hook {
	var out []Hook
	for _, h := range s.hooks {
		if h.ProjectID == projectID {
			out = append(out, *h)
		}
	}
	slices.SortFunc(out, func(a, b Hook) int { return a.ID - b.ID })
	return out
}

// Requests returns the requests answered so far, oldest first.
func (s *Server) Requests() []RecordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// RateLimit makes the next n requests fail with 429 Too Many Requests and a
// Retry-After of retryAfter (whole seconds, at least 1).
func (s *Server) RateLimit(n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limited = n
	s.retryAfter = retryAfter
}

// Fault is what a fault injector makes of a request: nothing (the zero
// value: the request is answered normally), an error status with GitLab's
// body for it (403, 404, 429 with Retry-After: 1, 500, 502, 503), a
// stall until the client gives up, or a connection dropped unanswered.
type Fault struct {
	Status int
	Stall  bool
	// Delay waits before the fault (or the normal answer); with Drop the
	// connection is then closed without an answer, as a proxy that timed
	// out does.
	Delay time.Duration
	Drop  bool
}

// InjectFaults calls f for every API request (not git) before it is
// answered; f == nil stops injecting. f runs with no lock held and may be
// called concurrently.
func (s *Server) InjectFaults(f func(r *http.Request) Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

func (s *Server) faulted(w http.ResponseWriter, r *http.Request) bool {
	if !strings.HasPrefix(r.URL.Path, "/api/v4/") {
		return false
	}
	s.mu.Lock()
	f := s.fault
	s.mu.Unlock()
	if f == nil {
		return false
	}
	fl := f(r)
	if fl.Delay > 0 {
		select {
		case <-time.After(fl.Delay):
		case <-r.Context().Done():
			return true
		case <-s.ctx.Done():
			return true
		}
	}
	switch {
	case fl.Drop:
		if hj, ok := w.(*statusWriter); ok {
			if h, ok := hj.ResponseWriter.(http.Hijacker); ok {
				if conn, _, err := h.Hijack(); err == nil {
					conn.Close()
					return true
				}
			}
		}
		panic(http.ErrAbortHandler)
	case fl.Stall:
		select {
		case <-r.Context().Done():
		case <-s.ctx.Done():
		}
		return true
	case fl.Status == 0:
		return false
	case fl.Status == http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(fl.Status)
		io.WriteString(w, "Retry later\n")
	case fl.Status == http.StatusForbidden:
		writeJSON(w, fl.Status, errForbidden)
	default:
		writeJSON(w, fl.Status, map[string]string{"message": fmt.Sprintf("%d %s", fl.Status, http.StatusText(fl.Status))})
	}
	return true
}

// rateLimit is the throttle's nominal limit, reported in RateLimit-Limit.
const rateLimit = 600

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		s.mu.Lock()
		s.requests = append(s.requests, RecordedRequest{
			Method: r.Method,
			Path:   r.URL.EscapedPath(),
			Query:  r.URL.Query(),
			Token:  requestToken(r),
			Status: sw.status,
		})
		s.mu.Unlock()
	}()
	if s.throttled(sw) || s.faulted(sw, r) {
		return
	}
	switch p := r.URL.Path; {
	case strings.HasPrefix(p, "/api/v4/"), strings.HasPrefix(p, "/oauth/"):
		s.api.ServeHTTP(sw, r)
	case strings.Contains(p, ".git/"):
		s.serveGit(sw, r)
	default:
		http.Error(sw, "Not Found", http.StatusNotFound)
	}
}

func (s *Server) throttled(w http.ResponseWriter) bool {
	s.mu.Lock()
	if s.limited <= 0 {
		s.mu.Unlock()
		return false
	}
	s.limited--
	retry := int((s.retryAfter + time.Second - 1) / time.Second)
	s.mu.Unlock()
	if retry < 1 {
		retry = 1
	}
	reset := s.now().Add(time.Duration(retry) * time.Second).UTC()
	h := w.Header()
	h.Set("Content-Type", "text/plain")
	h.Set("Retry-After", itoa(retry))
	h.Set("RateLimit-Name", "throttle_authenticated_api")
	h.Set("RateLimit-Limit", itoa(rateLimit))
	h.Set("RateLimit-Observed", itoa(rateLimit+1))
	h.Set("RateLimit-Remaining", "0")
	h.Set("RateLimit-Reset", itoa(int(reset.Unix())))
	h.Set("RateLimit-ResetTime", reset.Format(http.TimeFormat))
	w.WriteHeader(http.StatusTooManyRequests)
	w.Write([]byte("Retry later\n"))
	return true
}

// requestToken is the token a request carries, wherever it carries it.
func requestToken(r *http.Request) string {
	if t := r.Header.Get("PRIVATE-TOKEN"); t != "" {
		return t
	}
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "Bearer ") {
		return strings.TrimSpace(a[7:])
	}
	if _, pw, ok := r.BasicAuth(); ok {
		return pw
	}
	return ""
}

// namespaceOf is the full path of a project's namespace.
func namespaceOf(path string) string {
	return path[:strings.LastIndex(path, "/")]
}

// expired reports whether a token is past its expiry date at now.
func expired(tok *Token, now time.Time) bool {
	if !tok.ValidUntil.IsZero() && !now.Before(tok.ValidUntil) {
		return true
	}
	if tok.ExpiresAt == nil {
		return false
	}
	e := tok.ExpiresAt.UTC()
	day := time.Date(e.Year(), e.Month(), e.Day(), 0, 0, 0, 0, time.UTC)
	return !now.Before(day)
}

// access is the user's effective role on the project: its membership, or
// Owner for an administrator.
func access(u *User, p *Project) AccessLevel {
	if u == nil {
		return NoAccess
	}
	if u.Admin {
		return Owner
	}
	return p.Members[u.ID]
}

// visible reports whether the user (nil: anonymous) can see the project.
func visible(u *User, p *Project) bool {
	switch {
	case p.Visibility == Public:
		return true
	case u == nil:
		return false
	case p.Visibility == Internal && !u.Bot:
		return true
	}
	return access(u, p) > NoAccess
}

// canReadCode reports whether the user may clone the project: Reporter and
// up on a private project, anyone who sees a public or internal one.
func canReadCode(u *User, p *Project) bool {
	if !visible(u, p) {
		return false
	}
	if p.Visibility == Private {
		return access(u, p) >= Reporter
	}
	return true
}

func hasScope(tok *Token, scopes ...string) bool {
	for _, sc := range scopes {
		if slices.Contains(tok.Scopes, sc) {
			return true
		}
	}
	return false
}

func itoa(n int) string { return strconv.Itoa(n) }
