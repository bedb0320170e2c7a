package gitlabtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Webhook delivery, as GitLab's WebHookService does it from a Sidekiq job:
// a POST per hook and event, with GitLab's headers, a 10 s timeout, and
// here one retry on a transport error or a 5xx.
const (
	hookTimeout    = 10 * time.Second
	hookRetryDelay = 200 * time.Millisecond
)

// Delivery is one webhook delivery: the POST of one event to one hook,
// retried at most once.
type Delivery struct {
	HookID         int
	System         bool   // a system hook
	URL            string // the hook's URL
	Event          string // X-Gitlab-Event: "Push Hook", "Merge Request Hook", "System Hook", ...
	EventUUID      string // X-Gitlab-Event-UUID, shared by the deliveries of one event
	IdempotencyKey string // Idempotency-Key, the same on the retry
	Payload        []byte
	Attempts       int
	StatusCode     int    // of the last attempt; 0 when it failed without a response
	Err            string // the last attempt's transport error, if any
	Duration       time.Duration
}

// OK reports whether the hook answered 2xx.
func (d Delivery) OK() bool { return d.StatusCode >= 200 && d.StatusCode < 300 }

// WithHookClient sets the HTTP client that delivers webhooks to hooks that
// verify TLS (enable_ssl_verification), for example one trusting a test
// CA. Its Timeout, if set, applies on top of GitLab's 10 s. The default is
// a client with the default transport's TLS verification. Hooks that do
// not verify TLS get a copy of its transport that skips verification.
func WithHookClient(c *http.Client) Option { return func(s *Server) { s.hookClient = c } }

// hookTarget is where a delivery goes.
type hookTarget struct {
	id     int
	system bool
	url    string
	token  string
	uuid   string
	verify bool
}

func projectHookTarget(h Hook) hookTarget {
	return hookTarget{id: h.ID, url: h.URL, token: h.Token, uuid: h.UUID, verify: h.EnableSSLVerification}
}

// job is one delivery to make.
type job struct {
	target    hookTarget
	event     string
	eventUUID string
	payload   []byte
}

// jobs makes the deliveries of one event to targets.
func (s *Server) jobs(targets []hookTarget, event string, payload any) []job {
	b, err := json.Marshal(payload)
	if err != nil {
		s.t.Errorf("gitlabtest: %s payload: %v", event, err)
		return nil
	}
	id := newUUID()
	var out []job
	for _, t := range targets {
		out = append(out, job{target: t, event: event, eventUUID: id, payload: b})
	}
	return out
}

// startDelivery sets up the delivery machinery; the test's cleanup stops
// it: in-flight POSTs are cancelled and no new one starts.
func (s *Server) startDelivery(t tb) {
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.delivered = make(chan struct{})
	base := http.DefaultTransport.(*http.Transport).Clone()
	if s.hookClient == nil {
		s.hookClient = &http.Client{Transport: base, CheckRedirect: noRedirect}
		s.ownTransports = append(s.ownTransports, base)
	}
	insecure := base.Clone()
	if tr, ok := s.hookClient.Transport.(*http.Transport); ok {
		insecure = tr.Clone()
	}
	if insecure.TLSClientConfig == nil {
		insecure.TLSClientConfig = &tls.Config{}
	}
	insecure.TLSClientConfig.InsecureSkipVerify = true
	s.insecureClient = &http.Client{Transport: insecure, CheckRedirect: noRedirect}
	s.ownTransports = append(s.ownTransports, insecure)
	t.Cleanup(s.stopDelivery)
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func (s *Server) stopDelivery() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	for _, tr := range s.ownTransports {
		tr.CloseIdleConnections()
	}
}

// dispatchLocked delivers the jobs in the background, batch after batch:
// the jobs of a batch in parallel, each in its own goroutine, and a batch
// once the one before has finished (so that a Merge Request Hook "update"
// arrives after the Push Hook of its push). Called with s.mu held.
func (s *Server) dispatchLocked(batches ...[]job) {
	if s.closed || !slices.ContainsFunc(batches, func(b []job) bool { return len(b) > 0 }) {
		return
	}
	if s.holding {
		s.held = append(s.held, batches)
		return
	}
	s.dispatchNowLocked(batches)
}

func (s *Server) dispatchNowLocked(batches [][]job) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for _, b := range batches {
			var wg sync.WaitGroup
			for _, j := range b {
				wg.Go(func() { s.deliver(j) })
			}
			wg.Wait()
		}
	}()
}

func (s *Server) deliver(j job) {
	d := Delivery{
		HookID: j.target.id, System: j.target.system, URL: j.target.url,
		Event: j.event, EventUUID: j.eventUUID, IdempotencyKey: newUUID(), Payload: j.payload,
	}
	for d.Attempts < 2 && s.ctx.Err() == nil {
		if d.Attempts > 0 {
			select {
			case <-s.ctx.Done():
			case <-time.After(hookRetryDelay):
			}
			if s.ctx.Err() != nil {
				break
			}
		}
		d.Attempts++
		start := time.Now()
		status, err := s.post(j, d.IdempotencyKey)
		d.Duration = time.Since(start)
		d.StatusCode, d.Err = status, ""
		if err != nil {
			d.Err = err.Error()
		}
		if err == nil && status < 500 {
			break
		}
	}
	if d.Attempts == 0 {
		d.Err = context.Canceled.Error()
	}
	s.mu.Lock()
	s.deliveries = append(s.deliveries, d)
	close(s.delivered)
	s.delivered = make(chan struct{})
	s.mu.Unlock()
}

func (s *Server) post(j job, key string) (int, error) {
	ctx, cancel := context.WithTimeout(s.ctx, hookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.target.url, bytes.NewReader(j.payload))
	if err != nil {
		return 0, err
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "GitLab/"+s.version)
	h.Set("X-Gitlab-Event", j.event)
	if j.target.token != "" {
		h.Set("X-Gitlab-Token", j.target.token)
	}
	h.Set("X-Gitlab-Event-UUID", j.eventUUID)
	h.Set("X-Gitlab-Webhook-UUID", j.target.uuid)
	h.Set("X-Gitlab-Instance", s.URL)
	h.Set("Idempotency-Key", key)
	c := s.insecureClient
	if j.target.verify {
		c = s.hookClient
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
	res.Body.Close()
	return res.StatusCode, nil
}

// HoldDeliveries keeps the webhook deliveries of the events that follow
// until release is called, as a GitLab whose Sidekiq queue is backed up.
// release then starts them all at once, each event's deliveries in their
// own goroutine: with reverse set the newest event is delivered first and
// the others once it has been answered (deliveries out of order),
// otherwise they race each other (concurrent deliveries).
func (s *Server) HoldDeliveries() (release func(reverse bool)) {
	s.mu.Lock()
	s.holding = true
	s.mu.Unlock()
	return func(reverse bool) {
		s.mu.Lock()
		defer s.mu.Unlock()
		held := s.held
		s.holding, s.held = false, nil
		if s.closed || len(held) == 0 {
			return
		}
		if !reverse {
			for _, b := range held {
				s.dispatchNowLocked(b)
			}
			return
		}
		slices.Reverse(held)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for _, batches := range held {
				for _, b := range batches {
					var wg sync.WaitGroup
					for _, j := range b {
						wg.Go(func() { s.deliver(j) })
					}
					wg.Wait()
				}
			}
		}()
	}
}

// HeldDelivery is a delivery kept by HoldDeliveries, for a test that
// delivers it itself (repeated, reordered).
type HeldDelivery struct {
	URL       string
	Token     string // X-Gitlab-Token
	Event     string // X-Gitlab-Event
	EventUUID string
	Payload   []byte
}

// TakeHeld returns the deliveries held since HoldDeliveries, in the order
// GitLab would have made them, and forgets them: they are never sent.
// Holding goes on.
func (s *Server) TakeHeld() []HeldDelivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []HeldDelivery
	for _, batches := range s.held {
		for _, b := range batches {
			for _, j := range b {
				out = append(out, HeldDelivery{URL: j.target.url, Token: j.target.token, Event: j.event, EventUUID: j.eventUUID, Payload: j.payload})
			}
		}
	}
	s.held = nil
	return out
}

// Deliveries returns the finished webhook deliveries, in the order they
// finished.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.deliveries)
}

// WaitDeliveries waits until at least n deliveries have finished and
// returns them all; after timeout it fails the test.
func (s *Server) WaitDeliveries(t testing.TB, n int, timeout time.Duration) []Delivery {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		got, ch := slices.Clone(s.deliveries), s.delivered
		s.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("gitlabtest: %d webhook deliveries after %v, want %d: %+v", len(got), timeout, n, got)
			return nil
		}
	}
}

// newUUID is a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// branchFilterMatch applies a hook's push_events_branch_filter with
// GitLab's wildcard strategy: empty matches every branch, "*" matches any
// characters.
func branchFilterMatch(filter, branch string) bool {
	if filter == "" {
		return true
	}
	if !strings.Contains(filter, "*") {
		return filter == branch
	}
	re, err := regexp.Compile("^" + strings.ReplaceAll(regexp.QuoteMeta(filter), `\*`, ".*") + "$")
	return err == nil && re.MatchString(branch)
}

// hookTime formats a timestamp the way hook payloads do.
func hookTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// visibilityLevel is the numeric visibility in hook payloads.
func visibilityLevel(v Visibility) int {
	switch v {
	case Public:
		return 20
	case Internal:
		return 10
	}
	return 0
}

// hookProjectJSON is a project in hook payloads
// (data/gitlab/webhooks/push.json "project").
type hookProjectJSON struct {
	ID                int     `json:"id"`
	Name              string  `json:"name"`
	Description       string  `json:"description"`
	WebURL            string  `json:"web_url"`
	AvatarURL         *string `json:"avatar_url"`
	GitSSHURL         string  `json:"git_ssh_url"`
	GitHTTPURL        string  `json:"git_http_url"`
	Namespace         string  `json:"namespace"`
	VisibilityLevel   int     `json:"visibility_level"`
	PathWithNamespace string  `json:"path_with_namespace"`
	DefaultBranch     string  `json:"default_branch"`
	CIConfigPath      *string `json:"ci_config_path"`
	Homepage          string  `json:"homepage"`
	URL               string  `json:"url"`
	SSHURL            string  `json:"ssh_url"`
	HTTPURL           string  `json:"http_url"`
}

// hookRepositoryJSON is "repository" in hook payloads.
type hookRepositoryJSON struct {
	Name            string `json:"name"`
	URL             string `json:"url"`
	Description     string `json:"description"`
	Homepage        string `json:"homepage"`
	GitHTTPURL      string `json:"git_http_url"`
	GitSSHURL       string `json:"git_ssh_url"`
	VisibilityLevel int    `json:"visibility_level"`
}

// Called with s.mu held.
func (s *Server) hookProjectJSON(p *Project) hookProjectJSON {
	full := s.projectJSON(p, nil)
	return hookProjectJSON{
		ID: p.ID, Name: full.Name, Description: p.Description, WebURL: full.WebURL,
		GitSSHURL: full.SSHURLToRepo, GitHTTPURL: full.HTTPURLToRepo,
		Namespace: full.Namespace.Name, VisibilityLevel: visibilityLevel(p.Visibility),
		PathWithNamespace: p.Path, DefaultBranch: p.DefaultBranch, Homepage: full.WebURL,
		URL: full.SSHURLToRepo, SSHURL: full.SSHURLToRepo, HTTPURL: full.HTTPURLToRepo,
	}
}

func (s *Server) hookRepositoryJSON(p *Project) hookRepositoryJSON {
	hp := s.hookProjectJSON(p)
	return hookRepositoryJSON{
		Name: hp.Name, URL: hp.URL, Description: hp.Description, Homepage: hp.Homepage,
		GitHTTPURL: hp.GitHTTPURL, GitSSHURL: hp.GitSSHURL, VisibilityLevel: hp.VisibilityLevel,
	}
}

type commitAuthorJSON struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// hookCommitJSON is a commit in a push payload's "commits".
type hookCommitJSON struct {
	ID        string           `json:"id"`
	Message   string           `json:"message"`
	Title     string           `json:"title"`
	Timestamp string           `json:"timestamp"`
	URL       string           `json:"url"`
	Author    commitAuthorJSON `json:"author"`
	Added     []string         `json:"added"`
	Modified  []string         `json:"modified"`
	Removed   []string         `json:"removed"`
}

// lastCommitJSON is "last_commit" of a Merge Request Hook.
type lastCommitJSON struct {
	ID        string           `json:"id"`
	Message   string           `json:"message"`
	Title     string           `json:"title"`
	Timestamp string           `json:"timestamp"`
	URL       string           `json:"url"`
	Author    commitAuthorJSON `json:"author"`
}

func commitURL(p hookProjectJSON, sha string) string { return p.WebURL + "/-/commit/" + sha }

// pushPayloadJSON is a Push Hook or Tag Push Hook payload
// (data/gitlab/webhooks/push.json, tag_create.json).
type pushPayloadJSON struct {
	ObjectKind        string             `json:"object_kind"`
	EventName         string             `json:"event_name"`
	Before            string             `json:"before"`
	After             string             `json:"after"`
	Ref               string             `json:"ref"`
	RefProtected      bool               `json:"ref_protected"`
	CheckoutSHA       *string            `json:"checkout_sha"`
	Message           *string            `json:"message"`
	UserID            int                `json:"user_id"`
	UserName          string             `json:"user_name"`
	UserUsername      string             `json:"user_username"`
	UserEmail         string             `json:"user_email"`
	UserAvatar        string             `json:"user_avatar"`
	ProjectID         int                `json:"project_id"`
	Project           hookProjectJSON    `json:"project"`
	Commits           []hookCommitJSON   `json:"commits"`
	TotalCommitsCount int                `json:"total_commits_count"`
	PushOptions       map[string]any     `json:"push_options"`
	Repository        hookRepositoryJSON `json:"repository"`
}

// Called with s.mu held.
func (s *Server) pushPayload(p *Project, u *User, kind string, e pushEvent) pushPayloadJSON {
	hp := s.hookProjectJSON(p)
	out := pushPayloadJSON{
		ObjectKind: kind, EventName: kind,
		Before: e.before, After: e.after, Ref: e.ref,
		RefProtected: e.ref == "refs/heads/"+p.DefaultBranch && !p.DefaultBranchUnprotected,
		UserID:       u.ID, UserName: u.Name, UserUsername: u.Username, UserEmail: u.Email, UserAvatar: s.avatarURL(u),
		ProjectID: p.ID, Project: hp,
		Commits:           []hookCommitJSON{},
		TotalCommitsCount: e.total,
		PushOptions:       map[string]any{},
		Repository:        s.hookRepositoryJSON(p),
	}
	if e.checkout != "" {
		out.CheckoutSHA = &e.checkout
	}
	for _, c := range e.commits {
		out.Commits = append(out.Commits, hookCommitJSON{
			ID: c.ID, Message: c.Message, Title: c.Title, Timestamp: c.Timestamp,
			URL: commitURL(hp, c.ID), Author: c.Author,
			Added: c.Added, Modified: c.Modified, Removed: c.Removed,
		})
	}
	return out
}

// hookUserJSON is "user" in Merge Request Hook payloads.
type hookUserJSON struct {
	ID        int    `json:"id"`
	Name      string `json:"name"`
	Username  string `json:"username"`
	AvatarURL string `json:"avatar_url"`
	Email     string `json:"email"`
}

// mrPayloadJSON is a Merge Request Hook payload
// (data/gitlab/webhooks/pull_request_create.json,
// pull_request_review_ready.json).
type mrPayloadJSON struct {
	ObjectKind       string             `json:"object_kind"`
	EventType        string             `json:"event_type"`
	User             hookUserJSON       `json:"user"`
	Project          hookProjectJSON    `json:"project"`
	ObjectAttributes mrAttributesJSON   `json:"object_attributes"`
	Labels           []any              `json:"labels"`
	Changes          map[string]any     `json:"changes"`
	Repository       hookRepositoryJSON `json:"repository"`
}

type mrAttributesJSON struct {
	AssigneeID                  *int              `json:"assignee_id"`
	AuthorID                    int               `json:"author_id"`
	CreatedAt                   string            `json:"created_at"`
	DeletedAt                   *string           `json:"deleted_at"`
	Description                 string            `json:"description"`
	Draft                       bool              `json:"draft"`
	HeadPipelineID              *int              `json:"head_pipeline_id"`
	ID                          int               `json:"id"`
	IID                         int               `json:"iid"`
	LastEditedAt                *string           `json:"last_edited_at"`
	LastEditedByID              *int              `json:"last_edited_by_id"`
	MergeCommitSHA              *string           `json:"merge_commit_sha"`
	MergeError                  *string           `json:"merge_error"`
	MergeParams                 map[string]string `json:"merge_params"`
	MergeStatus                 string            `json:"merge_status"`
	MergeUserID                 *int              `json:"merge_user_id"`
	MergeWhenPipelineSucceeds   bool              `json:"merge_when_pipeline_succeeds"`
	MilestoneID                 *int              `json:"milestone_id"`
	SourceBranch                string            `json:"source_branch"`
	SourceProjectID             int               `json:"source_project_id"`
	StateID                     int               `json:"state_id"`
	TargetBranch                string            `json:"target_branch"`
	TargetProjectID             int               `json:"target_project_id"`
	TimeEstimate                int               `json:"time_estimate"`
	Title                       string            `json:"title"`
	UpdatedAt                   string            `json:"updated_at"`
	UpdatedByID                 *int              `json:"updated_by_id"`
	URL                         string            `json:"url"`
	Source                      hookProjectJSON   `json:"source"`
	Target                      hookProjectJSON   `json:"target"`
	LastCommit                  lastCommitJSON    `json:"last_commit"`
	WorkInProgress              bool              `json:"work_in_progress"`
	TotalTimeSpent              int               `json:"total_time_spent"`
	TimeChange                  int               `json:"time_change"`
	HumanTotalTimeSpent         *string           `json:"human_total_time_spent"`
	HumanTimeChange             *string           `json:"human_time_change"`
	HumanTimeEstimate           *string           `json:"human_time_estimate"`
	AssigneeIDs                 []int             `json:"assignee_ids"`
	ReviewerIDs                 []int             `json:"reviewer_ids"`
	Labels                      []any             `json:"labels"`
	State                       string            `json:"state"`
	BlockingDiscussionsResolved bool              `json:"blocking_discussions_resolved"`
	FirstContribution           bool              `json:"first_contribution"`
	DetailedMergeStatus         string            `json:"detailed_merge_status"`
	Oldrev                      string            `json:"oldrev,omitempty"`
	Action                      string            `json:"action"`
}

var mrStateIDs = map[string]int{MROpened: 1, MRClosed: 2, MRMerged: 3, "locked": 4}

// mrHookJobs are the deliveries of a Merge Request Hook with action to the
// project's hooks that take merge request events. oldrev is set only when
// the source branch moved. Called with s.mu held.
func (s *Server) mrHookJobs(p *Project, mr *MergeRequest, u *User, action, oldrev string, changes map[string]any) []job {
	var targets []hookTarget
	for _, h := range s.hooksOf(p.ID) {
		if h.MergeRequestsEvents {
			targets = append(targets, projectHookTarget(h))
		}
	}
	if len(targets) == 0 {
		return nil
	}
	hp := s.hookProjectJSON(p)
	api := s.mrJSON(p, mr)
	remove := "0"
	if mr.RemoveSourceBranch {
		remove = "1"
	}
	attrs := mrAttributesJSON{
		AuthorID: mr.AuthorID, CreatedAt: hookTime(mr.CreatedAt), Description: mr.Description,
		Draft: api.Draft, ID: mr.ID, IID: mr.IID,
		MergeParams:  map[string]string{"force_remove_source_branch": remove},
		MergeStatus:  api.MergeStatus,
		SourceBranch: mr.SourceBranch, SourceProjectID: p.ID,
		StateID:      mrStateIDs[mr.State],
		TargetBranch: mr.TargetBranch, TargetProjectID: p.ID,
		Title: mr.Title, UpdatedAt: hookTime(mr.UpdatedAt), URL: api.WebURL,
		Source: hp, Target: hp,
		WorkInProgress: api.Draft,
		AssigneeIDs:    []int{}, ReviewerIDs: []int{}, Labels: []any{},
		State:                       mr.State,
		BlockingDiscussionsResolved: true,
		DetailedMergeStatus:         api.DetailedMergeStatus,
		Oldrev:                      oldrev,
		Action:                      action,
	}
	if action != "open" {
		id := u.ID
		attrs.UpdatedByID = &id
	}
	if c, err := s.commitInfo(p, mr.SHA); err == nil {
		attrs.LastCommit = lastCommitJSON{ID: c.ID, Message: c.Message, Title: c.Title, Timestamp: c.Timestamp, URL: commitURL(hp, c.ID), Author: c.Author}
	} else {
		attrs.LastCommit.ID = mr.SHA
	}
	payload := mrPayloadJSON{
		ObjectKind: "merge_request", EventType: "merge_request",
		User:             hookUserJSON{ID: u.ID, Name: u.Name, Username: u.Username, AvatarURL: s.avatarURL(u), Email: u.Email},
		Project:          hp,
		ObjectAttributes: attrs,
		Labels:           []any{},
		Changes:          changes,
		Repository:       s.hookRepositoryJSON(p),
	}
	return s.jobs(targets, "Merge Request Hook", payload)
}
