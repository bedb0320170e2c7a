package gitlab

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
)

// TestRateLimitRetryAfter: a 429 is retried after Retry-After, and the call
// then succeeds.
func TestRateLimitRetryAfter(t *testing.T) {
	f := newFixture(t)
	f.srv.AddProject(gitlabtest.Project{Path: "team/app", Members: map[int]gitlabtest.AccessLevel{f.user.ID: gitlabtest.Developer}})
	c := newClient(t, f.srv.URL, f.token)
	f.srv.RateLimit(1, time.Second)
	start := time.Now()
	var n int
	if err := c.Projects(context.Background(), func(Project) error { n++; return nil }); err != nil {
		t.Fatalf("Projects: %v", err)
	}
	if elapsed := time.Since(start); elapsed < time.Second {
		t.Errorf("retried after %s, before the 1s of Retry-After", elapsed)
	}
	var statuses []int
	for _, r := range f.srv.Requests() {
		statuses = append(statuses, r.Status)
	}
	if len(statuses) != 2 || statuses[0] != http.StatusTooManyRequests || statuses[1] != http.StatusOK || n != 1 {
		t.Errorf("statuses %v and %d projects, want [429 200] and 1", statuses, n)
	}
}

// throttle answers 429 with the given Retry-After to the first n requests
// (every request when n < 0), then GitLab's version.
func throttle(t *testing.T, n int, retryAfter string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var seen atomic.Int32
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if k := seen.Add(1); n < 0 || int(k) <= n {
			w.Header().Set("Retry-After", retryAfter)
			http.Error(w, "Retry later", http.StatusTooManyRequests)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"version":"17.5.0","revision":"abc"}`))
	}))
	t.Cleanup(s.Close)
	return s, &seen
}

// TestRateLimitCapped: an hour's Retry-After is capped at MaxRetryWait.
func TestRateLimitCapped(t *testing.T) {
	s, seen := throttle(t, 1, "3600")
	c := newClient(t, s.URL, testToken, func(c *Config) { c.MaxRetryWait = 200 * time.Millisecond })
	start := time.Now()
	var out Check
	if err := c.checkVersion(context.Background(), &out); err != nil {
		t.Fatalf("checkVersion: %v", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("took %s: Retry-After was not capped", elapsed)
	}
	if seen.Load() != 2 || out.Version != "17.5.0" {
		t.Errorf("%d requests, version %q; want 2 and 17.5.0", seen.Load(), out.Version)
	}
}

// TestRateLimitContext: the context ends a wait for Retry-After.
func TestRateLimitContext(t *testing.T) {
	s, _ := throttle(t, -1, "3600")
	c := newClient(t, s.URL, testToken)

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Check(ctx)
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("took %s after the context's deadline", elapsed)
	}
	wantCode(t, err, CodeTimeout)

	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err = c.Check(ctx)
	wantCode(t, err, CodeCanceled)
}

// TestRateLimitExhausted: after the retries, the 429 is an error saying how
// long GitLab asked to wait.
func TestRateLimitExhausted(t *testing.T) {
	s, seen := throttle(t, -1, "0")
	c := newClient(t, s.URL, testToken, func(c *Config) { c.Retries = 2 })
	_, err := c.Check(context.Background())
	wantCode(t, err, CodeRateLimited, "429", "rate limit")
	if seen.Load() != 3 {
		t.Errorf("%d requests, want 3 (two retries)", seen.Load())
	}
}

// TestNoRetry: other 4xx are never retried, nor is a POST that met a 5xx
// (GitLab may have acted on it); a GET that met a 5xx is.
func TestNoRetry(t *testing.T) {
	tests := []struct {
		name   string
		status int
		call   func(*Client) error
		want   int32
		code   Code
	}{
		{"403 GET", http.StatusForbidden, func(c *Client) error { _, err := c.Check(context.Background()); return err }, 1, CodeForbidden},
		{"404 GET", http.StatusNotFound, func(c *Client) error { _, err := c.MergeRequest(context.Background(), 1, 2); return err }, 1, CodeNotFound},
		{"409 POST", http.StatusConflict, func(c *Client) error { _, err := c.UpsertMRNote(context.Background(), 1, 2, 0, "x"); return err }, 1, CodeConflict},
		{"500 POST", http.StatusInternalServerError, func(c *Client) error {
			return c.SetCommitStatus(context.Background(), 1, "abc", Status{State: StatusSuccess})
		}, 1, CodeServerError},
		{"500 GET", http.StatusInternalServerError, func(c *Client) error { _, err := c.MergeRequest(context.Background(), 1, 2); return err }, 3, CodeServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen atomic.Int32
			s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen.Add(1)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				w.Write([]byte(`{"message":"` + http.StatusText(tt.status) + `"}`))
			}))
			t.Cleanup(s.Close)
			c := newClient(t, s.URL, testToken, func(c *Config) { c.Retries = 2 })
			wantCode(t, tt.call(c), tt.code)
			if seen.Load() != tt.want {
				t.Errorf("%d requests, want %d", seen.Load(), tt.want)
			}
		})
	}
}
