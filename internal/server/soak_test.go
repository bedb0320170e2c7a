package server_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
)

// soakDeliveries is how many deliveries the soak test sends: its bound is
// this count, not a duration.
const soakDeliveries = 2000

// TestSoak: 20 projects, each with pushes to its default branch and a
// merge request with several commits; GitLab's deliveries of all of them
// are sent 2,000 times over 16 connections, shuffled (out of order), with
// retries under the same Idempotency-Key and resends under new ones.
// Afterwards every merge request has exactly one note, describing its
// head; every default branch was scanned at its head; every delivered
// head has exactly one scan (the older ones superseded); no job is lost,
// stuck or discarded. On PostgreSQL the jobs run in a worker apart from
// the server.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test skipped in -short mode")
	}
	for _, d := range storetest.Engines() {
		t.Run(string(d), func(t *testing.T) { soak(t, d) })
	}
}

func soak(t *testing.T, d store.Dialect) {
	// On PostgreSQL, as a scaled-out site runs it: the server only
	// inserts jobs, and a worker of its own (another River client, worker
	// ID and workspace) runs them. SQLite has one process, as serve does.
	h := newHarness(t, d, options{work: true, worker: d == store.Postgres})
	gl := h.gl
	u, tok, first := gitlabSetup(gl, gitlabtest.Maintainer)
	projects := []*gitlabtest.Project{first}
	for i := range 19 {
		projects = append(projects, gl.AddProject(gitlabtest.Project{Path: fmt.Sprintf("fleet/svc%02d", i), Members: map[int]gitlabtest.AccessLevel{u.ID: gitlabtest.Maintainer}}))
	}
	for _, p := range projects {
		gl.InitRepo(p, map[string]string{"README.md": "# " + p.Path + "\n"})
	}
	var in hooksView
	h.admin("POST", "/api/v1/integrations", map[string]any{"url": gl.URL, "token": tok.Value}, http.StatusCreated, &in)
	eventually(t, 120*time.Second, "onboarding", func() bool {
		h.admin("GET", fmt.Sprintf("/api/v1/integrations/%d", in.ID), nil, 200, &in)
		return in.HooksStatus == store.HooksOK && h.count(`SELECT COUNT(*) FROM scan WHERE status = 'succeeded'`) == len(projects)
	})

	// The events, held: two pushes to main, a merge request opened and
	// updated twice, per project.
	release := gl.HoldDeliveries()
	mrs := map[int]*gitlabtest.MergeRequest{}
	mainHead := map[int]string{}
	mrHead := map[int]string{}
	for i, p := range projects {
		gl.Commit(p, "main", map[string]string{"deploy/env.sh": fmt.Sprintf("export STAGE=%d\n", i)}, "stage")
		mainHead[p.ID] = gl.Commit(p, "main", map[string]string{"deploy/region.sh": "export REGION=eu\n"}, "region")
		gl.Commit(p, "feature", map[string]string{"ci/a.sh": "echo a\n"}, "a")
		mrs[p.ID] = gl.OpenMR(p, "feature", "main", "Feature")
		gl.Commit(p, "feature", map[string]string{"ci/b.sh": "echo b\n"}, "b")
		mrHead[p.ID] = gl.Commit(p, "feature", map[string]string{"ci/release.sh": "export GITLAB_TOKEN=glpat-oljJr6tw4X01kxTMccUD\n"}, "release")
	}
	held := gl.TakeHeld()
	release(false)
	distinct := map[string]bool{} // the heads the deliveries name
	for _, e := range held {
		var pl struct {
			ObjectKind string `json:"object_kind"`
			Ref        string `json:"ref"`
			After      string `json:"after"`
			Project    struct {
				ID int `json:"id"`
			} `json:"project"`
			Attrs struct {
				IID    int    `json:"iid"`
				Action string `json:"action"`
				OldRev string `json:"oldrev"`
				Last   struct {
					ID string `json:"id"`
				} `json:"last_commit"`
			} `json:"object_attributes"`
		}
		if err := json.Unmarshal(e.Payload, &pl); err != nil {
			t.Fatal(err)
		}
		switch {
		case pl.ObjectKind == "push" && pl.Ref == "refs/heads/main":
			distinct[fmt.Sprintf("push %d %s", pl.Project.ID, pl.After)] = true
		case pl.ObjectKind == "merge_request" && (pl.Attrs.Action == "open" || pl.Attrs.OldRev != ""):
			distinct[fmt.Sprintf("mr %d %d %s", pl.Project.ID, pl.Attrs.IID, pl.Attrs.Last.ID)] = true
		}
	}

	// 2,000 deliveries: each event at least once, the rest random events
	// again — half GitLab's retries (same Idempotency-Key), half resends
	// (a new key) — all shuffled.
	type send struct {
		e   gitlabtest.HeldDelivery
		key string
	}
	rnd := mrand.New(mrand.NewPCG(7, 11))
	keys := make([]string, len(held))
	var sends []send
	for i, e := range held {
		keys[i] = newKey()
		sends = append(sends, send{e, keys[i]})
	}
	for len(sends) < soakDeliveries {
		i := rnd.IntN(len(held))
		key := keys[i]
		if rnd.IntN(2) == 0 {
			key = newKey()
		}
		sends = append(sends, send{held[i], key})
	}
	rnd.Shuffle(len(sends), func(i, j int) { sends[i], sends[j] = sends[j], sends[i] })

	work := make(chan send)
	var wg sync.WaitGroup
	var failed atomic.Int32
	var mu sync.Mutex
	codes := map[int]int{}
	start := time.Now()
	for range 16 {
		wg.Go(func() {
			for s := range work {
				req, _ := http.NewRequest("POST", s.e.URL, bytes.NewReader(s.e.Payload))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Gitlab-Event", s.e.Event)
				req.Header.Set("X-Gitlab-Token", s.e.Token)
				req.Header.Set("X-Gitlab-Event-UUID", s.e.EventUUID)
				req.Header.Set("Idempotency-Key", s.key)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				resp.Body.Close()
				mu.Lock()
				codes[resp.StatusCode]++
				mu.Unlock()
			}
		})
	}
	for _, s := range sends {
		work <- s
	}
	close(work)
	wg.Wait()
	took := time.Since(start)
	t.Logf("%d deliveries of %d events (%d distinct heads) in %v: %.0f/s; answers %v", len(sends), len(held), len(distinct), took.Round(time.Millisecond), float64(len(sends))/took.Seconds(), codes)
	if failed.Load() > 0 || codes[http.StatusAccepted]+codes[http.StatusOK] != len(sends) {
		t.Fatalf("%d deliveries failed; answers %v", failed.Load(), codes)
	}

	settled := func() bool {
		return h.count(`SELECT COUNT(*) FROM river_job WHERE state NOT IN ('completed', 'cancelled', 'discarded') AND kind <> 'reclaim'`) == 0 &&
			h.count(`SELECT COUNT(*) FROM scan WHERE status IN ('queued', 'running')`) == 0
	}
	eventually(t, 10*time.Minute, "every job and scan to finish", func() bool {
		if !settled() {
			return false
		}
		for _, p := range projects {
			if !noteAt(gl.Notes(p, mrs[p.ID].IID), mrHead[p.ID]) {
				return false
			}
		}
		return true
	})
	if n := h.count(`SELECT COUNT(*) FROM river_job WHERE state = 'discarded'`); n != 0 {
		t.Errorf("%d jobs discarded", n)
	}
	for _, p := range projects {
		if notes := gl.Notes(p, mrs[p.ID].IID); len(notes) != 1 {
			t.Errorf("%s: %d notes on the merge request", p.Path, len(notes))
		}
		if st := gl.Statuses(p, mrHead[p.ID]); len(st) == 0 || st[len(st)-1].State != "failed" {
			t.Errorf("%s: head status %+v, want failed", p.Path, st)
		}
	}
	// Scans: one per delivered head; the heads succeeded; the rest
	// superseded.
	rows, err := h.store.DB().Query(`SELECT p.gitlab_id, s.trigger, COALESCE(s.mr_iid, 0), s.sha, s.status FROM scan s JOIN project p ON p.id = s.project_id WHERE s.trigger IN ('push', 'merge_request')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := map[string]int{}
	for rows.Next() {
		var gid, iid int
		var trigger, sha, status string
		if err := rows.Scan(&gid, &trigger, &iid, &sha, &status); err != nil {
			t.Fatal(err)
		}
		key := fmt.Sprintf("push %d %s", gid, sha)
		head := mainHead[gid]
		if trigger == store.TriggerMergeRequest {
			key, head = fmt.Sprintf("mr %d %d %s", gid, iid, sha), mrHead[gid]
		}
		seen[key]++
		want := store.ScanSuperseded
		if sha == head {
			want = store.ScanSucceeded
		}
		if status != want && !(status == store.ScanSucceeded && want == store.ScanSuperseded) {
			t.Errorf("scan of %s is %s, want %s", key, status, want)
		}
	}
	var missing, extra []string
	for k := range distinct {
		if seen[k] != 1 {
			missing = append(missing, fmt.Sprintf("%s (%d scans)", k, seen[k]))
		}
	}
	for k := range seen {
		if !distinct[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 || len(extra) > 0 {
		t.Errorf("scans do not match the delivered heads one to one: %s; not delivered: %v", strings.Join(missing, ", "), extra)
	}
}

func noteAt(notes []gitlabtest.Note, sha string) bool {
	return len(notes) == 1 && strings.Contains(notes[0].Body, sha[:8])
}

func newKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
