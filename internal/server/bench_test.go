package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/job"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
)

// servePoll is River's poll interval in 'airlock serve' (job.Config's
// default), used where workers run so that job pick-up costs what it
// costs in production.
const servePoll = 200 * time.Millisecond

// count runs a COUNT(*) query, formatted with args (placeholders differ
// between the engines); the benchmark fails on an error.
func (h *harness) count(format string, args ...any) int {
	h.t.Helper()
	query := fmt.Sprintf(format, args...)
	var n int
	if err := h.store.DB().QueryRow(query).Scan(&n); err != nil {
		h.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// pauseScans stops the scan queue, so that onboarding scans stay queued.
func (h *harness) pauseScans() {
	h.t.Helper()
	eventually(h.t, 10*time.Second, "the scan queue to exist", func() bool {
		err := h.jobs.QueuePause(context.Background(), job.ScanQueue, nil)
		if err != nil && !errors.Is(err, rivertype.ErrNotFound) {
			h.t.Fatal(err)
		}
		return err == nil
	})
}

// poll calls cond every 20ms until it holds and returns the time it held;
// it fails the benchmark after timeout. Polling more often would take
// SQLite's single connection from the work being measured.
func poll(tb testing.TB, timeout time.Duration, what string, cond func() bool) time.Time {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Now()
}

// BenchmarkDiscover5000 measures discovery of 5,000 projects (50 of them
// with the Developer role, which get no webhook), from the API call that
// creates the integration until every project is stored ("stored-s") and
// until every webhook is registered (the op). The stand-in does not report
// empty_repo, so discovery queues an onboarding scan per project; the scan
// queue is paused so that scans do not run during the measurement.
// One op takes seconds: run it with -benchtime=1x -count=N.
func BenchmarkDiscover5000(b *testing.B) {
	const projects, developer = 5000, 50
	for _, d := range storetest.Engines() {
		b.Run(string(d), func(b *testing.B) {
			var create, stored, hooks time.Duration
			for range b.N {
				b.StopTimer()
				h := newHarness(b, d, options{work: true, poll: servePoll})
				h.pauseScans()
				u := h.gl.AddUser(gitlabtest.User{Username: "airlock-bot"})
				tok := h.gl.AddToken(gitlabtest.Token{Value: "glpat-integration-token-AbC123xyz", UserID: u.ID, Scopes: []string{"api", "read_repository", "write_repository"}})
				for i := range projects {
					role := gitlabtest.Maintainer
					if i%(projects/developer) == 0 {
						role = gitlabtest.Developer
					}
					h.gl.AddProject(gitlabtest.Project{Path: fmt.Sprintf("group-%02d/project-%04d", i%50, i), Members: map[int]gitlabtest.AccessLevel{u.ID: role}})
				}
				b.StartTimer()

				start := time.Now()
				var in integrationView
				h.admin("POST", "/api/v1/integrations", map[string]any{"url": h.gl.URL, "token": tok.Value, "name": "corp"}, http.StatusCreated, &in)
				created := time.Now()
				storedAt := poll(b, 5*time.Minute, "5,000 stored projects", func() bool {
					return h.count(`SELECT COUNT(*) FROM project WHERE integration_id = %d`, in.ID) == projects
				})
				hookedAt := poll(b, 5*time.Minute, "5,000 hook states", func() bool {
					return h.count(`SELECT COUNT(*) FROM project WHERE integration_id = %d AND hook_status <> ''`, in.ID) == projects
				})
				b.StopTimer()

				create += created.Sub(start)
				stored += storedAt.Sub(start)
				hooks += hookedAt.Sub(storedAt)
				if n := h.count(`SELECT COUNT(*) FROM project WHERE integration_id = %d AND hook_status = '%s'`, in.ID, store.HookRegistered); n != projects-developer {
					b.Fatalf("%d registered hooks, want %d", n, projects-developer)
				}
				if n := h.count(`SELECT COUNT(*) FROM project WHERE integration_id = %d AND hook_status = '%s'`, in.ID, store.HookNeedsMaintainer); n != developer {
					b.Fatalf("%d projects need Maintainer, want %d", n, developer)
				}
				if n := h.count(`SELECT COUNT(*) FROM river_job WHERE kind = 'scan'`); n != projects {
					b.Fatalf("%d scan jobs queued, want %d", n, projects)
				}
			}
			n := float64(b.N)
			b.ReportMetric(create.Seconds()/n, "create-s")
			b.ReportMetric(stored.Seconds()/n, "stored-s")
			b.ReportMetric(hooks.Seconds()/n, "hooks-s")
		})
	}
}

// BenchmarkWebhookIngest measures webhook deliveries accepted and durably
// enqueued (the webhook_event row and its River job, committed before
// the 202): 16 concurrent senders POST a realistic Push Hook, each with its
// own Idempotency-Key; one op is one delivery. No worker runs, so every
// event stays queued and is counted afterwards. Run it with
// -benchtime=5000x or more.
func BenchmarkWebhookIngest(b *testing.B) {
	const senders = 16
	raw, err := os.ReadFile("/work/shared/data/gitlab/webhooks/push.json")
	if err != nil {
		b.Skip("the shared push.json fixture is missing:", err)
	}
	for _, d := range storetest.Engines() {
		b.Run(string(d), func(b *testing.B) {
			h := newHarness(b, d, options{})
			_, tok, p := gitlabSetup(h.gl, gitlabtest.Maintainer)
			in, secret := connectForHooks(b, h, map[string]any{"url": h.gl.URL, "token": tok.Value, "name": "corp"})
			body := pushPayload(b, raw, p)

			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders}}
			defer client.CloseIdleConnections()
			latency := make([]time.Duration, b.N)
			var next atomic.Int64
			var failed atomic.Value
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for range senders {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(next.Add(1)) - 1
						if i >= b.N || failed.Load() != nil {
							return
						}
						req, _ := http.NewRequest("POST", in.WebhookURL, bytes.NewReader(body))
						req.Header.Set("Content-Type", "application/json")
						req.Header.Set("X-Gitlab-Event", "Push Hook")
						req.Header.Set("X-Gitlab-Token", string(secret))
						req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%08d", i))
						t0 := time.Now()
						resp, err := client.Do(req)
						if err != nil {
							failed.CompareAndSwap(nil, err)
							return
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						latency[i] = time.Since(t0)
						if resp.StatusCode != http.StatusAccepted {
							failed.CompareAndSwap(nil, fmt.Errorf("delivery %d: status %d", i, resp.StatusCode))
							return
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			if err, _ := failed.Load().(error); err != nil {
				b.Fatal(err)
			}
			if n := h.count(`SELECT COUNT(*) FROM webhook_event WHERE integration_id = %d`, in.ID); n != b.N {
				b.Fatalf("%d webhook_event rows, want %d", n, b.N)
			}
			if n := h.count(`SELECT COUNT(*) FROM river_job WHERE kind = 'webhook_event'`); n != b.N {
				b.Fatalf("%d webhook_event jobs, want %d", n, b.N)
			}
			slices.Sort(latency)
			// The average group commit, from the receiver's histogram.
			resp, err := http.Get(h.url + "/metrics")
			if err != nil {
				b.Fatal(err)
			}
			m, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var sum, groups float64
			for l := range strings.SplitSeq(string(m), "\n") {
				if v, ok := strings.CutPrefix(l, "airlock_webhook_ingest_batch_size_sum "); ok {
					fmt.Sscan(v, &sum)
				}
				if v, ok := strings.CutPrefix(l, "airlock_webhook_ingest_batch_size_count "); ok {
					fmt.Sscan(v, &groups)
				}
			}
			if groups == 0 || sum != float64(b.N) {
				b.Fatalf("group commit histogram: %v deliveries in %v groups, want %d", sum, groups, b.N)
			}
			b.ReportMetric(sum/groups, "batch")
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
			b.ReportMetric(ms(latency[len(latency)/2]), "p50-ms")
			b.ReportMetric(ms(latency[min(len(latency)-1, len(latency)*99/100)]), "p99-ms")
		})
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// pushPayload is the shared Push Hook fixture pointed at p's default
// branch.
func pushPayload(tb testing.TB, raw []byte, p *gitlabtest.Project) []byte {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		tb.Fatal(err)
	}
	m["project_id"] = p.ID
	m["ref"] = "refs/heads/" + p.DefaultBranch
	pr := m["project"].(map[string]any)
	pr["id"] = p.ID
	pr["default_branch"] = p.DefaultBranch
	pr["path_with_namespace"] = p.Path
	b, err := json.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BenchmarkPushToNote measures, on a small repository with workers
// polling as 'airlock serve' does, the time from a commit on a new branch
// and the merge request opened from it until airlock's note is on the
// merge request (the op), and from a further commit on that branch until
// the note shows the new commit ("update-s"). Each op is one webhook
// delivery, one clone and scan, one note. Run it with -benchtime=5x.
//
// On PostgreSQL it runs twice: as serve does, workers woken by
// LISTEN/NOTIFY, and "postgres-poll-only", workers that only poll (every
// 200 ms, as serve's), for the side-by-side figure.
func BenchmarkPushToNote(b *testing.B) {
	type variant struct {
		name     string
		d        store.Dialect
		pollOnly bool
	}
	var variants []variant
	for _, d := range storetest.Engines() {
		variants = append(variants, variant{string(d), d, false})
		if d == store.Postgres {
			variants = append(variants, variant{string(d) + "-poll-only", d, true})
		}
	}
	for _, v := range variants {
		d := v.d
		b.Run(v.name, func(b *testing.B) {
			h := newHarness(b, d, options{work: true, poll: servePoll, pollOnly: v.pollOnly})
			gl := h.gl
			_, tok, p := gitlabSetup(gl, gitlabtest.Maintainer)
			gl.InitRepo(p, map[string]string{
				"README.md":        "# payments\n",
				"app/__init__.py":  "",
				"app/config.py":    "DEBUG = False\nDATABASE_URL = 'postgres://localhost/payments'\n",
				"app/main.py":      "from app import config\n\ndef main():\n    print(config.DEBUG)\n",
				"requirements.txt": "flask==3.0.3\n",
			})
			var in integrationView
			h.admin("POST", "/api/v1/integrations", map[string]any{"url": gl.URL, "token": tok.Value, "name": "corp"}, http.StatusCreated, &in)
			var pr store.Project
			eventually(b, 30*time.Second, "discovery and hook", func() bool {
				var ps list[store.Project]
				h.admin("GET", fmt.Sprintf("/api/v1/projects?integration_id=%d", in.ID), nil, 200, &ps)
				if len(ps.Items) == 1 && ps.Items[0].HookStatus == store.HookRegistered {
					pr = ps.Items[0]
					return true
				}
				return false
			})
			waitScan(b, h, pr.ID, "main", store.TriggerOnboard)

			noted := func(iid int, sha string) func() bool {
				return func() bool {
					for _, n := range gl.Notes(p, iid) {
						if strings.Contains(n.Body, job.NoteMarker) && strings.Contains(n.Body, sha[:8]) {
							return true
						}
					}
					return false
				}
			}
			var update time.Duration
			b.ResetTimer()
			for i := range b.N {
				branch := fmt.Sprintf("feature-%d", i)
				sha := gl.Commit(p, branch, map[string]string{"ci/release.sh": "export GITLAB_TOKEN=glpat-oljJr6tw4X01kxTMccUD\n"}, "release script")
				mr := gl.OpenMR(p, branch, "main", "Release script")
				poll(b, time.Minute, "the merge request note", noted(mr.IID, sha))

				b.StopTimer()
				start := time.Now()
				sha = gl.Commit(p, branch, map[string]string{"ci/release.sh": "export GITLAB_TOKEN=\"$CI_JOB_TOKEN\"\n"}, "use the job token")
				update += poll(b, time.Minute, "the updated note", noted(mr.IID, sha)).Sub(start)
				b.StartTimer()
			}
			b.ReportMetric(update.Seconds()/float64(b.N), "update-s")
		})
	}
}
