package gitlabtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// hookRequest is one webhook POST a receiver got.
type hookRequest struct {
	header http.Header
	body   []byte
}

func (h hookRequest) payload(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(h.body, &v); err != nil {
		t.Fatalf("payload %s: %v", h.body, err)
	}
	return v
}

// receiver is a webhook endpoint on 127.0.0.1 that records what it gets
// and answers with status(n) for the n-th request (200 when nil).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []hookRequest
	status func(n int) int
}

func newReceiver(t *testing.T, status func(n int) int) *receiver {
	rc := &receiver{status: status}
	rc.Server = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.got = append(rc.got, hookRequest{r.Header.Clone(), b})
	n := len(rc.got)
	rc.mu.Unlock()
	code := http.StatusOK
	if rc.status != nil {
		code = rc.status(n)
	}
	w.WriteHeader(code)
}

func (rc *receiver) requests() []hookRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// checkHeaders checks GitLab's delivery headers.
func checkHeaders(t *testing.T, s *Server, h http.Header, event, token, hookUUID string) {
	t.Helper()
	want := map[string]string{
		"Content-Type":          "application/json",
		"X-Gitlab-Event":        event,
		"X-Gitlab-Token":        token,
		"X-Gitlab-Instance":     s.URL,
		"User-Agent":            "GitLab/17.5.0-ee",
		"X-Gitlab-Webhook-Uuid": hookUUID,
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if _, ok := h["X-Gitlab-Token"]; token == "" && ok {
		t.Errorf("X-Gitlab-Token sent for a hook without a token")
	}
	for _, k := range []string{"X-Gitlab-Event-Uuid", "Idempotency-Key"} {
		if !uuidRE.MatchString(h.Get(k)) {
			t.Errorf("header %s = %q, want a UUID", k, h.Get(k))
		}
	}
}

// without is a copy of a recorded object without some keys.
func without(m map[string]any, keys ...string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if !slices.Contains(keys, k) {
			out[k] = v
		}
	}
	return out
}

func TestPushHookOnGitPush(t *testing.T) {
	needGit(t)
	f := newFixture(t)
	rc := newReceiver(t, nil)
	f.s.InitRepo(f.private, map[string]string{"go.mod": "module example.com/backend\n", "old.txt": "old\n"})
	body := fmt.Sprintf(`{"url":%q,"token":"s3cret","push_events":true,"enable_ssl_verification":false}`, rc.URL)
	if r := f.send(t, http.MethodPost, "/api/v4/projects/acme%2Fbackend/hooks", tokMaintainer, body); r.status != http.StatusCreated {
		t.Fatalf("create hook: %d %s", r.status, r.body)
	}
	hook := f.s.Hooks(f.private)[0]

	work := t.TempDir()
	if out, err := gitCmd(t, work, "dora", tokDev, "clone", "--quiet", f.s.URL+"/acme/backend.git", "dev"); err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	dev := filepath.Join(work, "dev")
	os.WriteFile(filepath.Join(dev, "feature.txt"), []byte("new\n"), 0o644)
	os.WriteFile(filepath.Join(dev, "go.mod"), []byte("module example.com/backend\n\ngo 1.26\n"), 0o644)
	os.Remove(filepath.Join(dev, "old.txt"))
	for _, args := range [][]string{{"checkout", "--quiet", "-b", "feature"}, {"add", "-A"}, {"commit", "--quiet", "-m", "feature\n\nwith a body"}} {
		if out, err := gitCmd(t, dev, "", "", args...); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	head, _ := gitCmd(t, dev, "", "", "rev-parse", "HEAD")
	head = strings.TrimSpace(head)
	if out, err := gitCmd(t, dev, "dora", tokDev, "push", "--quiet", "origin", "feature"); err != nil {
		t.Fatalf("push: %v\n%s", err, out)
	}

	ds := f.s.WaitDeliveries(t, 1, 10*time.Second)
	d := ds[0]
	if d.HookID != hook.ID || d.Event != "Push Hook" || d.StatusCode != 200 || !d.OK() || d.Attempts != 1 || d.Err != "" || d.Duration <= 0 {
		t.Errorf("delivery: %+v", d)
	}
	got := rc.requests()
	if len(got) != 1 {
		t.Fatalf("receiver got %d requests", len(got))
	}
	checkHeaders(t, f.s, got[0].header, "Push Hook", "s3cret", hook.UUID)
	if got[0].header.Get("Idempotency-Key") != d.IdempotencyKey || got[0].header.Get("X-Gitlab-Event-Uuid") != d.EventUUID {
		t.Errorf("recorded keys %s %s, sent %v", d.IdempotencyKey, d.EventUUID, got[0].header)
	}
	p := got[0].payload(t)
	sameShape(t, "Push Hook", recorded(t, "webhooks/push.json").(map[string]any), p)
	var push struct {
		ObjectKind        string `json:"object_kind"`
		EventName         string `json:"event_name"`
		Before, After     string
		Ref               string  `json:"ref"`
		CheckoutSHA       *string `json:"checkout_sha"`
		UserUsername      string  `json:"user_username"`
		ProjectID         int     `json:"project_id"`
		TotalCommitsCount int     `json:"total_commits_count"`
		Project           struct {
			PathWithNamespace string `json:"path_with_namespace"`
			GitHTTPURL        string `json:"git_http_url"`
		} `json:"project"`
		Commits []struct {
			ID, Message, Title, URL  string
			Added, Modified, Removed []string
			Author                   struct{ Name, Email string }
			Timestamp                string
		} `json:"commits"`
	}
	json.Unmarshal(got[0].body, &push)
	if push.ObjectKind != "push" || push.EventName != "push" || push.Before != zeroSHA || push.After != head ||
		push.Ref != "refs/heads/feature" || push.CheckoutSHA == nil || *push.CheckoutSHA != head ||
		push.UserUsername != "dora" || push.ProjectID != f.private.ID || push.TotalCommitsCount != 1 ||
		push.Project.PathWithNamespace != "acme/backend" || push.Project.GitHTTPURL != f.s.URL+"/acme/backend.git" {
		t.Errorf("push payload: %s", got[0].body)
	}
	if len(push.Commits) != 1 {
		t.Fatalf("commits: %s", got[0].body)
	}
	c := push.Commits[0]
	want := []any{head, "feature\n\nwith a body\n", "feature", f.s.URL + "/acme/backend/-/commit/" + head, []string{"feature.txt"}, []string{"go.mod"}, []string{"old.txt"}, "Test", "test@example.com"}
	if diff := cmp.Diff(want, []any{c.ID, c.Message, c.Title, c.URL, c.Added, c.Modified, c.Removed, c.Author.Name, c.Author.Email}); diff != "" {
		t.Errorf("commit (-want +got):\n%s", diff)
	}
	if _, err := time.Parse(time.RFC3339, c.Timestamp); err != nil {
		t.Errorf("timestamp %q: %v", c.Timestamp, err)
	}

	// Deleting the branch.
	if out, err := gitCmd(t, dev, "dora", tokDev, "push", "--quiet", "origin", "--delete", "feature"); err != nil {
		t.Fatalf("delete: %v\n%s", err, out)
	}
	f.s.WaitDeliveries(t, 2, 10*time.Second)
	del := rc.requests()[1]
	sameShape(t, "Push Hook (delete)", recorded(t, "webhooks/branch_delete.json").(map[string]any), del.payload(t))
	if p := del.payload(t); p["after"] != zeroSHA || p["before"] != head || p["checkout_sha"] != nil || p["total_commits_count"] != 0.0 || len(p["commits"].([]any)) != 0 {
		t.Errorf("delete payload: %s", del.body)
	}
	if del.header.Get("Idempotency-Key") == got[0].header.Get("Idempotency-Key") {
		t.Errorf("two deliveries share an Idempotency-Key")
	}

	// A push of four branches fires no push hook; a refused push fires none.
	if out, err := gitCmd(t, dev, "dora", tokDev, "push", "--quiet", "origin", "HEAD:b1", "HEAD:b2", "HEAD:b3", "HEAD:b4"); err != nil {
		t.Fatalf("push 4 branches: %v\n%s", err, out)
	}
	if out, err := gitCmd(t, dev, "dora", tokDev, "push", "--quiet", "origin", "HEAD:main"); err == nil {
		t.Fatalf("developer pushed the protected branch:\n%s", out)
	}
	if out, err := gitCmd(t, dev, "dora", tokDev, "push", "--quiet", "origin", "HEAD:b5", "HEAD:b6", "HEAD:b7"); err != nil {
		t.Fatalf("push 3 branches: %v\n%s", err, out)
	}
	f.s.WaitDeliveries(t, 5, 10*time.Second)
	time.Sleep(100 * time.Millisecond)
	var refs []string
	for _, r := range rc.requests()[2:] {
		refs = append(refs, r.payload(t)["ref"].(string))
	}
	slices.Sort(refs)
	if diff := cmp.Diff([]string{"refs/heads/b5", "refs/heads/b6", "refs/heads/b7"}, refs); diff != "" {
		t.Errorf("pushed refs (-want +got):\n%s", diff)
	}
}

func TestCommitHelperAndMergeRequestHooks(t *testing.T) {
	needGit(t)
	f := newFixture(t)
	var order []string
	var orderMu sync.Mutex
	rc := newReceiver(t, nil)
	inner := rc.Config.Handler
	rc.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orderMu.Lock()
		order = append(order, r.Header.Get("X-Gitlab-Event"))
		orderMu.Unlock()
		inner.ServeHTTP(w, r)
	})
	release := newReceiver(t, nil)
	hook := f.s.AddHook(f.private, Hook{URL: rc.URL, PushEvents: true, MergeRequestsEvents: true})
	f.s.AddHook(f.private, Hook{URL: release.URL, PushEvents: true, PushEventsBranchFilter: "release/*"})
	f.s.AddHook(f.private, Hook{URL: release.URL, NoteEvents: true}) // takes neither pushes nor MRs

	f.s.InitRepo(f.private, map[string]string{"go.mod": "module example.com/backend\n"}) // fires nothing
	first := f.s.Commit(f.private, "feature", map[string]string{"a.txt": "a\n"}, "add a")
	mr := f.s.OpenMR(f.private, "feature", "main", "Add a")
	if mr.SHA != first || mr.IID != 1 || mr.AuthorID != f.owner.ID {
		t.Errorf("OpenMR: %+v", mr)
	}
	f.s.WaitDeliveries(t, 2, 10*time.Second)
	second := f.s.Commit(f.private, "feature", map[string]string{"a.txt": "a2\n", "b.txt": "b\n"}, "change a, add b")
	f.s.WaitDeliveries(t, 4, 10*time.Second)
	third := f.s.DeleteFiles(f.private, "feature", []string{"b.txt"}, "drop b")
	f.s.Commit(f.private, "release/1.0", map[string]string{"v": "1\n"}, "release")
	ds := f.s.WaitDeliveries(t, 8, 10*time.Second)
	time.Sleep(100 * time.Millisecond)

	orderMu.Lock()
	if diff := cmp.Diff([]string{"Push Hook", "Merge Request Hook", "Push Hook", "Merge Request Hook", "Push Hook", "Merge Request Hook", "Push Hook"}, order); diff != "" {
		t.Errorf("events at the MR hook (-want +got):\n%s", diff)
	}
	orderMu.Unlock()
	if n := len(release.requests()); n != 1 || release.requests()[0].payload(t)["ref"] != "refs/heads/release/1.0" {
		t.Errorf("filtered hook got %d requests", n)
	}
	if len(ds) != 8 {
		t.Errorf("%d deliveries, want 8", len(ds))
	}

	got := rc.requests()
	checkHeaders(t, f.s, got[1].header, "Merge Request Hook", "", hook.UUID)
	open := got[1].payload(t)
	rec := recorded(t, "webhooks/pull_request_create.json").(map[string]any)
	rec["object_attributes"] = without(rec["object_attributes"].(map[string]any), "merge_params")
	sameShape(t, "Merge Request Hook (open)", rec, open)
	attrs := open["object_attributes"].(map[string]any)
	if open["object_kind"] != "merge_request" || open["event_type"] != "merge_request" || attrs["action"] != "open" ||
		attrs["iid"] != 1.0 || attrs["state"] != "opened" || attrs["source_branch"] != "feature" || attrs["target_branch"] != "main" ||
		attrs["last_commit"].(map[string]any)["id"] != first || attrs["url"] != f.s.URL+"/acme/backend/-/merge_requests/1" {
		t.Errorf("open payload: %s", got[1].body)
	}
	if _, ok := attrs["oldrev"]; ok {
		t.Errorf("oldrev on open: %s", got[1].body)
	}

	push := got[2].payload(t)
	if push["before"] != first || push["after"] != second || push["user_username"] != "olivia" {
		t.Errorf("Commit's push payload: %s", got[2].body)
	}
	c := push["commits"].([]any)[0].(map[string]any)
	if diff := cmp.Diff([]any{[]any{"b.txt"}, []any{"a.txt"}, []any{}}, []any{c["added"], c["modified"], c["removed"]}); diff != "" {
		t.Errorf("Commit's files (-want +got):\n%s", diff)
	}
	update := got[3].payload(t)
	// "changes" holds what changed, different in each recorded payload.
	sameShape(t, "Merge Request Hook (update)", without(recorded(t, "webhooks/pull_request_review_ready.json").(map[string]any), "changes"), update)
	ua := update["object_attributes"].(map[string]any)
	if ua["action"] != "update" || ua["oldrev"] != first || ua["last_commit"].(map[string]any)["id"] != second {
		t.Errorf("update payload: %s", got[3].body)
	}
	if c := got[4].payload(t)["commits"].([]any)[0].(map[string]any); fmt.Sprint(c["removed"]) != "[b.txt]" {
		t.Errorf("DeleteFiles' push: %s", got[4].body)
	}
	if got[5].payload(t)["object_attributes"].(map[string]any)["oldrev"] != second {
		t.Errorf("second update: %s", got[5].body)
	}
	if mrs := f.s.MergeRequests(f.private); mrs[0].SHA != third {
		t.Errorf("MR sha %s, want %s", mrs[0].SHA, third)
	}

	// Closing through the API fires "close" with the state change.
	r := f.send(t, http.MethodPut, "/api/v4/projects/1/merge_requests/1", tokDev, `{"state_event":"close"}`)
	if r.status != http.StatusOK {
		t.Fatalf("close: %d %s", r.status, r.body)
	}
	f.s.WaitDeliveries(t, 9, 10*time.Second)
	closed := rc.requests()[len(rc.requests())-1].payload(t)
	rec = recorded(t, "webhooks/pull_request_close.json").(map[string]any)
	rec["object_attributes"] = without(rec["object_attributes"].(map[string]any), "merge_params")
	sameShape(t, "Merge Request Hook (close)", rec, closed)
	if closed["object_attributes"].(map[string]any)["action"] != "close" || closed["user"].(map[string]any)["username"] != "dora" ||
		fmt.Sprint(closed["changes"].(map[string]any)["state"]) != "map[current:closed previous:opened]" {
		t.Errorf("close payload: %v", closed)
	}
	// A push to a closed MR's branch fires no MR hook.
	f.s.Commit(f.private, "feature", map[string]string{"c.txt": "c\n"}, "c")
	f.s.WaitDeliveries(t, 10, 10*time.Second)
	time.Sleep(100 * time.Millisecond)
	if n := len(f.s.Deliveries()); n != 10 {
		t.Errorf("%d deliveries after a push to a closed MR's branch, want 10", n)
	}
}

func TestPushCommitsNewestTwenty(t *testing.T) {
	needGit(t)
	s := New(t)
	p := s.AddProject(Project{Path: "g/p"})
	var shas []string
	for i := range 25 {
		shas = append(shas, s.Commit(p, "main", map[string]string{"n": fmt.Sprint(i)}, fmt.Sprint("commit ", i)))
	}
	commits, total, err := s.pushedCommits(p, refUpdate{"refs/heads/main", zeroSHA, shas[24]})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range commits {
		ids = append(ids, c.ID)
	}
	if diff := cmp.Diff(shas[5:], ids); total != 25 || diff != "" {
		t.Errorf("total %d, commits (-want +got):\n%s", total, diff)
	}
	commits, total, _ = s.pushedCommits(p, refUpdate{"refs/heads/main", shas[21], shas[24]})
	if total != 3 || len(commits) != 3 || commits[2].ID != shas[24] {
		t.Errorf("update: total %d, %d commits", total, len(commits))
	}
	head := s.Commit(p, "topic", map[string]string{"t": "t"}, "topic")
	if commits, total, _ := s.pushedCommits(p, refUpdate{"refs/heads/topic", zeroSHA, head}); total != 1 || commits[0].ID != head {
		t.Errorf("new branch: total %d %+v", total, commits)
	}
}

func TestBranchFilter(t *testing.T) {
	for _, tt := range []struct {
		filter, branch string
		want           bool
	}{
		{"", "anything", true},
		{"main", "main", true},
		{"main", "mainline", false},
		{"release/*", "release/1.0", true},
		{"release/*", "release", false},
		{"*-stable", "15-0-stable", true},
		{"feature.x", "featureyx", false},
	} {
		if got := branchFilterMatch(tt.filter, tt.branch); got != tt.want {
			t.Errorf("%q matches %q: %v, want %v", tt.filter, tt.branch, got, tt.want)
		}
	}
}

func TestDeliveryRetry(t *testing.T) {
	needGit(t)
	f := newFixture(t)
	flaky := newReceiver(t, func(n int) int {
		if n == 1 {
			return http.StatusBadGateway
		}
		return http.StatusNoContent
	})
	refused := newReceiver(t, nil)
	refused.Close() // nothing listens there any more
	denied := newReceiver(t, func(int) int { return http.StatusUnauthorized })
	f.s.AddHook(f.private, Hook{URL: flaky.URL, PushEvents: true, Token: "t1"})
	f.s.AddHook(f.private, Hook{URL: refused.URL, PushEvents: true})
	f.s.AddHook(f.private, Hook{URL: denied.URL, PushEvents: true})
	f.s.Commit(f.private, "main", map[string]string{"a": "a"}, "a")
	ds := f.s.WaitDeliveries(t, 3, 10*time.Second)
	byURL := map[string]Delivery{}
	for _, d := range ds {
		byURL[d.URL] = d
	}
	if d := byURL[flaky.URL]; d.Attempts != 2 || d.StatusCode != http.StatusNoContent || !d.OK() {
		t.Errorf("flaky hook: %+v", d)
	}
	if got := flaky.requests(); len(got) != 2 || got[0].header.Get("Idempotency-Key") != got[1].header.Get("Idempotency-Key") ||
		got[0].header.Get("Idempotency-Key") != byURL[flaky.URL].IdempotencyKey {
		t.Errorf("retry changed the Idempotency-Key")
	}
	if d := byURL[refused.URL]; d.Attempts != 2 || d.StatusCode != 0 || d.Err == "" || d.OK() {
		t.Errorf("unreachable hook: %+v", d)
	}
	if d := byURL[denied.URL]; d.Attempts != 1 || d.StatusCode != http.StatusUnauthorized {
		t.Errorf("4xx hook (not retried): %+v", d)
	}
}

func TestDeliveriesStopWithTheTest(t *testing.T) {
	needGit(t)
	started, stopped := make(chan struct{}), make(chan struct{})
	var posts int
	var mu sync.Mutex
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body) // the server notices a client gone only once it has read the body
		mu.Lock()
		posts++
		mu.Unlock()
		close(started)
		<-r.Context().Done()
		close(stopped)
	}))
	defer slow.Close()
	var s *Server
	t.Run("inner", func(t *testing.T) {
		s = New(t)
		p := s.AddProject(Project{Path: "g/p"})
		s.AddHook(p, Hook{URL: slow.URL, PushEvents: true})
		s.Commit(p, "main", map[string]string{"a": "a"}, "a")
		<-started
	})
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("the in-flight delivery outlived its test")
	}
	ds := s.Deliveries()
	if len(ds) != 1 || ds[0].Attempts != 1 || !strings.Contains(ds[0].Err, "context canceled") {
		t.Errorf("deliveries: %+v", ds)
	}
	time.Sleep(hookRetryDelay + 100*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if posts != 1 {
		t.Errorf("%d POSTs, want 1 (no retry after the test)", posts)
	}
}

func TestHookTLSVerification(t *testing.T) {
	needGit(t)
	tlsRecv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer tlsRecv.Close()
	for _, tt := range []struct {
		name   string
		opts   []Option
		verify bool
		ok     bool
	}{
		{"verify with the default transport", nil, true, false},
		{"no verification", nil, false, true},
		{"verify with a client trusting the test CA", []Option{WithHookClient(tlsRecv.Client())}, true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := New(t, tt.opts...)
			p := s.AddProject(Project{Path: "g/p"})
			s.AddHook(p, Hook{URL: tlsRecv.URL, PushEvents: true, EnableSSLVerification: tt.verify})
			s.Commit(p, "main", map[string]string{"a": "a"}, "a")
			d := s.WaitDeliveries(t, 1, 10*time.Second)[0]
			if d.OK() != tt.ok {
				t.Errorf("delivery: %+v", d)
			}
			if !tt.ok && !strings.Contains(d.Err, "certificate") {
				t.Errorf("error %q does not name the certificate", d.Err)
			}
		})
	}
}

func TestUpdateHook(t *testing.T) {
	f := newFixture(t)
	h := f.s.AddHook(f.private, Hook{URL: "https://old.example.com/hook", Token: "old", PushEvents: true})
	path := fmt.Sprintf("/api/v4/projects/1/hooks/%d", h.ID)
	if r := f.send(t, http.MethodPut, path, tokDev, `{"url":"https://x.example.com"}`); r.status != http.StatusForbidden {
		t.Errorf("developer edits: %d", r.status)
	}
	if r := f.send(t, http.MethodPut, "/api/v4/projects/1/hooks/999", tokMaintainer, `{"url":"https://x.example.com"}`); r.status != http.StatusNotFound {
		t.Errorf("unknown hook: %d", r.status)
	}
	if r := f.send(t, http.MethodPut, path, tokMaintainer, `{"url":"ftp://x"}`); r.status != http.StatusBadRequest {
		t.Errorf("ftp url: %d", r.status)
	}
	r := f.send(t, http.MethodPut, path, tokMaintainer, `{"url":"https://new.example.com/hook","token":"new-secret","merge_requests_events":true,"push_events":false,"push_events_branch_filter":"main"}`)
	if r.status != http.StatusOK || strings.Contains(string(r.body), "new-secret") {
		t.Fatalf("edit: %d %s", r.status, r.body)
	}
	sameShape(t, "PUT /hooks/:id", recorded(t, "api/hook.json").(map[string]any), decode[map[string]any](t, r))
	got := f.s.Hooks(f.private)[0]
	if got.URL != "https://new.example.com/hook" || got.Token != "new-secret" || !got.MergeRequestsEvents || got.PushEvents || got.PushEventsBranchFilter != "main" || got.UUID != h.UUID {
		t.Errorf("edited hook: %+v", got)
	}
	r = f.get(t, path, tokMaintainer)
	if r.status != http.StatusOK || strings.Contains(string(r.body), "secret") || decode[map[string]any](t, r)["url"] != "https://new.example.com/hook" {
		t.Errorf("get hook: %d %s", r.status, r.body)
	}
}

func TestSystemHooks(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t, nil)
	body := fmt.Sprintf(`{"url":%q,"token":"sys","enable_ssl_verification":false}`, rc.URL)
	for _, tok := range []string{tokOwner, tokMaintainer} {
		if r := f.send(t, http.MethodPost, "/api/v4/hooks", tok, body); r.status != http.StatusForbidden || string(r.body) != `{"message":"403 Forbidden"}` {
			t.Errorf("non-admin adds a system hook: %d %s", r.status, r.body)
		}
		if r := f.get(t, "/api/v4/hooks", tok); r.status != http.StatusForbidden {
			t.Errorf("non-admin lists system hooks: %d", r.status)
		}
	}
	if r := f.get(t, "/api/v4/user", tokAdmin); decode[map[string]any](t, r)["is_admin"] != true {
		t.Errorf("admin's /user: %s", r.body)
	}
	r := f.send(t, http.MethodPost, "/api/v4/hooks", tokAdmin, body)
	if r.status != http.StatusCreated || strings.Contains(string(r.body), `"sys"`) {
		t.Fatalf("admin adds a system hook: %d %s", r.status, r.body)
	}
	created := decode[map[string]any](t, r)
	if created["url"] != rc.URL || created["push_events"] != false || created["repository_update_events"] != true || created["enable_ssl_verification"] != false {
		t.Errorf("system hook: %s", r.body)
	}
	r = f.get(t, "/api/v4/hooks", tokAdmin)
	if list := decode[[]map[string]any](t, r); len(list) != 1 || list[0]["id"] != created["id"] {
		t.Errorf("list: %s", r.body)
	}

	f.s.AddProject(Project{Path: "acme/new", Visibility: Internal, Members: map[int]AccessLevel{f.owner.ID: Owner}})
	d := f.s.WaitDeliveries(t, 1, 10*time.Second)[0]
	if !d.System || d.Event != "System Hook" || !d.OK() {
		t.Errorf("delivery: %+v", d)
	}
	got := rc.requests()[0]
	checkHeaders(t, f.s, got.header, "System Hook", "sys", f.s.SystemHooks()[0].UUID)
	p := got.payload(t)
	// The fields GitLab documents for project_create (GITLAB.md).
	for _, k := range []string{"event_name", "project_id", "name", "path", "path_with_namespace", "owner_name", "owner_email", "project_visibility", "created_at"} {
		if _, ok := p[k]; !ok {
			t.Errorf("project_create lacks %q: %s", k, got.body)
		}
	}
	if p["event_name"] != "project_create" || p["name"] != "new" || p["path_with_namespace"] != "acme/new" ||
		p["owner_name"] != "acme" || p["project_visibility"] != "internal" || p["project_id"] == nil {
		t.Errorf("project_create: %s", got.body)
	}

	del := fmt.Sprintf("/api/v4/hooks/%v", created["id"])
	if r := call(t, http.MethodDelete, f.s.URL+del, tokOwner, nil, ""); r.status != http.StatusForbidden {
		t.Errorf("non-admin deletes: %d", r.status)
	}
	if r := call(t, http.MethodDelete, f.s.URL+del, tokAdmin, nil, ""); r.status != http.StatusNoContent {
		t.Errorf("admin deletes: %d %s", r.status, r.body)
	}
	if r := call(t, http.MethodDelete, f.s.URL+del, tokAdmin, nil, ""); r.status != http.StatusNotFound {
		t.Errorf("delete again: %d", r.status)
	}
	f.s.AddProject(Project{Path: "acme/newer"})
	time.Sleep(100 * time.Millisecond)
	if n := len(f.s.Deliveries()); n != 1 {
		t.Errorf("%d deliveries after the system hook's removal, want 1", n)
	}
}

func TestTagPushHook(t *testing.T) {
	needGit(t)
	f := newFixture(t)
	rc := newReceiver(t, nil)
	f.s.AddHook(f.private, Hook{URL: rc.URL, TagPushEvents: true}) // no push_events: tags only
	sha := f.s.Commit(f.private, "main", map[string]string{"a": "a"}, "a")
	work := t.TempDir()
	if out, err := gitCmd(t, work, "max", tokMaintainer, "clone", "--quiet", f.s.URL+"/acme/backend.git", "m"); err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	dir := filepath.Join(work, "m")
	if out, err := gitCmd(t, dir, "", "", "tag", "v1.0.0"); err != nil {
		t.Fatalf("tag: %v\n%s", err, out)
	}
	if out, err := gitCmd(t, dir, "max", tokMaintainer, "push", "--quiet", "origin", "v1.0.0"); err != nil {
		t.Fatalf("push tag: %v\n%s", err, out)
	}
	d := f.s.WaitDeliveries(t, 1, 10*time.Second)[0]
	if d.Event != "Tag Push Hook" {
		t.Errorf("delivery: %+v", d)
	}
	got := rc.requests()[0]
	sameShape(t, "Tag Push Hook", recorded(t, "webhooks/tag_create.json").(map[string]any), got.payload(t))
	if p := got.payload(t); p["object_kind"] != "tag_push" || p["ref"] != "refs/tags/v1.0.0" || p["after"] != sha || p["checkout_sha"] != sha || p["user_username"] != "max" {
		t.Errorf("tag push payload: %s", got.body)
	}
}
