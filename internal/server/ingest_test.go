package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/integration"
	"github.com/airlock-sec/airlock/internal/job"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
)

// TestGroupCommit: 400 deliveries of 50 distinct keys sent over 32
// connections at once are committed in groups; each key is stored and
// queued exactly once, answered 202 once and 200 (duplicate) otherwise.
func TestGroupCommit(t *testing.T) {
	for _, d := range storetest.Engines() {
		t.Run(string(d), func(t *testing.T) { groupCommit(t, d) })
	}
}

func groupCommit(t *testing.T, d store.Dialect) {
	h := newHarness(t, d, options{})
	_, tok, _ := gitlabSetup(h.gl, gitlabtest.Maintainer)
	in, secret := connectForHooks(t, h, map[string]any{"url": h.gl.URL, "token": tok.Value})
	const deliveries, keys = 400, 50
	work := make(chan int)
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for i := range work {
				req, _ := http.NewRequest("POST", in.WebhookURL, bytes.NewReader([]byte(`{"object_kind":"push","ref":"refs/heads/x","after":"1111111111111111111111111111111111111111"}`)))
				req.Header.Set("X-Gitlab-Event", "Push Hook")
				req.Header.Set("X-Gitlab-Token", string(secret))
				req.Header.Set("Idempotency-Key", fmt.Sprintf("k%d", i%keys))
				resp, err := http.DefaultClient.Do(req)
				mu.Lock()
				if err != nil {
					codes[0]++
				} else {
					codes[resp.StatusCode]++
					resp.Body.Close()
				}
				mu.Unlock()
			}
		})
	}
	for i := range deliveries {
		work <- i
	}
	close(work)
	wg.Wait()
	if codes[http.StatusAccepted] != keys || codes[http.StatusOK] != deliveries-keys {
		t.Errorf("answers %v: want %d × 202 and %d × 200", codes, keys, deliveries-keys)
	}
	if n := h.count(`SELECT COUNT(*) FROM webhook_event`); n != keys {
		t.Errorf("%d rows, want %d", n, keys)
	}
	if n := h.count(`SELECT COUNT(*) FROM river_job WHERE kind = 'webhook_event'`); n != keys {
		t.Errorf("%d jobs, want %d", n, keys)
	}
}

// TestGroupCommitWorked: deliveries committed in groups (through pgx and
// River's pgx driver on PostgreSQL, database/sql on SQLite) become River
// jobs that the workers pick up and finish: 41 distinct deliveries (a real
// push to the default branch, sent three times under its key, and 40
// pushes to other branches, twice each), shuffled over 16 connections.
// Each is stored once with one job (kind, queue and EventArgs' five
// attempts as NewClient inserts them), every job completes, every event
// gets its outcome, and the push to the default branch is scanned once.
func TestGroupCommitWorked(t *testing.T) {
	for _, d := range storetest.Engines() {
		t.Run(string(d), func(t *testing.T) { groupCommitWorked(t, d) })
	}
}

func groupCommitWorked(t *testing.T, d store.Dialect) {
	h := newHarness(t, d, options{work: true})
	gl := h.gl
	_, tok, p := gitlabSetup(gl, gitlabtest.Maintainer)
	gl.InitRepo(p, map[string]string{"README.md": "# payments\n"})
	var in hooksView
	h.admin("POST", "/api/v1/integrations", map[string]any{"url": gl.URL, "token": tok.Value}, http.StatusCreated, &in)
	eventually(t, 60*time.Second, "onboarding", func() bool {
		h.admin("GET", fmt.Sprintf("/api/v1/integrations/%d", in.ID), nil, 200, &in)
		return in.HooksStatus == store.HooksOK && h.count(`SELECT COUNT(*) FROM scan WHERE status = 'succeeded'`) == 1
	})
	release := gl.HoldDeliveries()
	head := gl.Commit(p, p.DefaultBranch, map[string]string{"deploy/env.sh": "export STAGE=2\n"}, "stage")
	held := gl.TakeHeld()
	release(false)
	if len(held) != 1 || held[0].Event != "Push Hook" {
		t.Fatalf("held deliveries %+v, want one push", held)
	}
	type send struct {
		body []byte
		key  string
	}
	sends := []send{{held[0].Payload, "main"}, {held[0].Payload, "main"}, {held[0].Payload, "main"}}
	for i := range 40 {
		body := fmt.Appendf(nil, `{"object_kind":"push","ref":"refs/heads/b%02d","after":"%040d","project_id":%d,"project":{"id":%d,"default_branch":%q}}`, i, i+1, p.ID, p.ID, p.DefaultBranch)
		key := fmt.Sprintf("b%02d", i)
		sends = append(sends, send{body, key}, send{body, key})
	}
	mrand.New(mrand.NewPCG(3, 5)).Shuffle(len(sends), func(i, j int) { sends[i], sends[j] = sends[j], sends[i] })
	work := make(chan send)
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for s := range work {
				req, _ := http.NewRequest("POST", held[0].URL, bytes.NewReader(s.body))
				req.Header.Set("X-Gitlab-Event", "Push Hook")
				req.Header.Set("X-Gitlab-Token", held[0].Token)
				req.Header.Set("Idempotency-Key", s.key)
				resp, err := http.DefaultClient.Do(req)
				mu.Lock()
				if err != nil {
					codes[0]++
				} else {
					codes[resp.StatusCode]++
					resp.Body.Close()
				}
				mu.Unlock()
			}
		})
	}
	for _, s := range sends {
		work <- s
	}
	close(work)
	wg.Wait()
	const distinct = 41
	if codes[http.StatusAccepted] != distinct || codes[http.StatusOK] != len(sends)-distinct {
		t.Fatalf("answers %v: want %d × 202 and %d × 200", codes, distinct, len(sends)-distinct)
	}
	ids := map[int64]string{} // event id → delivery key
	rows, err := h.store.DB().Query(`SELECT id, delivery_key FROM webhook_event`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			t.Fatal(err)
		}
		ids[id] = key
	}
	rows.Close()
	if len(ids) != distinct {
		t.Fatalf("%d webhook_event rows, want %d", len(ids), distinct)
	}

	// Every job done, every event with its outcome.
	eventually(t, 60*time.Second, "the webhook jobs to complete", func() bool {
		return h.count(`SELECT COUNT(*) FROM river_job WHERE kind = 'webhook_event' AND state <> 'completed'`) == 0 &&
			h.count(`SELECT COUNT(*) FROM webhook_event WHERE outcome = ''`) == 0
	})
	args := "args::text"
	if d == store.SQLite {
		args = "json(args)" // River's SQLite driver stores JSONB
	}
	rows, err = h.store.DB().Query(`SELECT ` + args + `, queue, max_attempts, attempt FROM river_job WHERE kind = 'webhook_event'`)
	if err != nil {
		t.Fatal(err)
	}
	jobs := map[int64]int{}
	for rows.Next() {
		var args []byte
		var queue string
		var maxAttempts, attempt int
		if err := rows.Scan(&args, &queue, &maxAttempts, &attempt); err != nil {
			t.Fatal(err)
		}
		var a job.EventArgs
		if err := json.Unmarshal(args, &a); err != nil {
			t.Fatalf("job args %s: %v", args, err)
		}
		if queue != job.QueueDefault || maxAttempts != 5 || attempt != 1 {
			t.Errorf("job of event %d: queue %q, max_attempts %d, attempt %d; want %q, 5, 1", a.EventID, queue, maxAttempts, attempt, job.QueueDefault)
		}
		jobs[a.EventID]++
	}
	rows.Close()
	if len(jobs) != distinct {
		t.Fatalf("jobs for %d events, want %d", len(jobs), distinct)
	}
	for id, n := range jobs {
		if _, ok := ids[id]; !ok || n != 1 {
			t.Errorf("event %d: %d jobs (stored: %v)", id, n, ok)
		}
	}
	if n := h.count(`SELECT COUNT(*) FROM webhook_event WHERE outcome LIKE 'ignored: push to b%%, not the default branch%%'`); n != 40 {
		t.Errorf("%d branch pushes ignored, want 40", n)
	}
	eventually(t, 60*time.Second, "the scan of the pushed commit", func() bool {
		return h.count(`SELECT COUNT(*) FROM scan WHERE sha = '%s' AND status = 'succeeded'`, head) == 1
	})
	if n := h.count(`SELECT COUNT(*) FROM scan WHERE sha = '%s'`, head); n != 1 {
		t.Errorf("%d scans of %s, want 1", n, head)
	}
}

// TestWebhookIntegrationCache: the receiver keeps the integration it read
// for a second, but a delete in this process takes effect at once: a
// delivery accepted just before DELETE is followed by 404 for the same
// valid token, and a wrong token is refused while the entry is cached.
func TestWebhookIntegrationCache(t *testing.T) {
	for _, d := range storetest.Engines() {
		t.Run(string(d), func(t *testing.T) {
			h := newHarness(t, d, options{})
			_, tok, _ := gitlabSetup(h.gl, gitlabtest.Maintainer)
			in, secret := connectForHooks(t, h, map[string]any{"url": h.gl.URL, "token": tok.Value})
			send := func(key, token string) int {
				return postDelivery(t, in.WebhookURL, token, key, []byte(`{"object_kind":"push","ref":"refs/heads/x"}`))
			}
			if c := send("a", string(secret)); c != http.StatusAccepted {
				t.Fatalf("first delivery: %d, want 202", c)
			}
			if c := send("b", "wrong"); c != http.StatusUnauthorized {
				t.Errorf("wrong token with the integration cached: %d, want 401", c)
			}
			h.admin("DELETE", fmt.Sprintf("/api/v1/integrations/%d", in.ID), nil, http.StatusAccepted, nil)
			if c := send("c", string(secret)); c != http.StatusNotFound {
				t.Errorf("delivery right after delete: %d, want 404", c)
			}
		})
	}
}

// connectForHooks creates an integration through the API and returns it
// with its opened webhook secret, as GitLab's hooks send it.
func connectForHooks(t testing.TB, h *harness, body map[string]any) (integrationView, []byte) {
	t.Helper()
	var in integrationView
	h.admin("POST", "/api/v1/integrations", body, http.StatusCreated, &in)
	return in, hookSecret(t, h, in.ID)
}

// hookSecret opens integration id's webhook secret.
func hookSecret(t testing.TB, h *harness, id int64) []byte {
	t.Helper()
	row, err := h.store.Integration(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := h.keyring.Open(row.WebhookSealed, integration.AAD(id, integration.FieldWebhook))
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// postDelivery sends one Push Hook delivery and returns the status code.
func postDelivery(t testing.TB, url, token, key string, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("X-Gitlab-Event", "Push Hook")
	req.Header.Set("X-Gitlab-Token", token)
	req.Header.Set("Idempotency-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
