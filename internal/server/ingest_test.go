package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/integration"
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
	var in integrationView
	h.admin("POST", "/api/v1/integrations", map[string]any{"url": h.gl.URL, "token": tok.Value}, http.StatusCreated, &in)
	row, err := h.store.Integration(context.Background(), in.ID)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := h.keyring.Open(row.WebhookSealed, integration.AAD(in.ID, integration.FieldWebhook))
	if err != nil {
		t.Fatal(err)
	}
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
