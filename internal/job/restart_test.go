package job_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/integration"
	"github.com/airlock-sec/airlock/internal/job"
	"github.com/airlock-sec/airlock/internal/keyring"
	"github.com/airlock-sec/airlock/internal/secret"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
)

// TestShutdownRequeuesRunningScan stops the workers while a scan's clone
// hangs: the scan job is cancelled and put back, and workers started
// afterwards on the same database (a restarted server) finish it.
func TestShutdownRequeuesRunningScan(t *testing.T) {
	for _, d := range storetest.Engines() {
		t.Run(string(d), func(t *testing.T) { shutdownRequeues(t, d) })
	}
}

func shutdownRequeues(t *testing.T, d store.Dialect) {
	ctx := context.Background()
	gl := gitlabtest.New(t)
	u := gl.AddUser(gitlabtest.User{Username: "bot"})
	tok := gl.AddToken(gitlabtest.Token{Value: "glpat-requeue-test-000000000", UserID: u.ID, Scopes: []string{"api", "read_repository", "write_repository"}})
	p := gl.AddProject(gitlabtest.Project{Path: "g/slow", Members: map[int]gitlabtest.AccessLevel{u.ID: gitlabtest.Maintainer}})
	gl.InitRepo(p, map[string]string{"README.md": "hi\n"})

	// GitLab behind a switch: while hang is set, git requests hang until
	// the client goes away.
	var hang atomic.Bool
	var hung atomic.Int32
	target, _ := url.Parse(gl.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hang.Load() {
			hung.Add(1)
			<-r.Context().Done()
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer front.Close()

	st := storetest.Open(t, d)
	kr, err := keyring.Open(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	rules, err := secret.NewDetector(secret.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	cfg := job.Config{Store: st, Keyring: kr, Rules: rules, WorkDir: t.TempDir(), PollInterval: 50 * time.Millisecond, ScanTimeout: time.Minute}

	// An integration, a project and a queued scan, as the API makes them.
	in := store.Integration{Name: "gl", URL: front.URL, TokenKind: "personal", TokenSealed: []byte{}, WebhookSealed: []byte{}, Selection: store.SelectAll}
	inserter, err := job.NewClient(cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	var sc store.Scan
	err = st.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CreateIntegration(ctx, &in, time.Now()); err != nil {
			return err
		}
		if in.TokenSealed, err = kr.Seal([]byte(tok.Value), integration.AAD(in.ID, integration.FieldToken)); err != nil {
			return err
		}
		if err := tx.UpdateIntegration(ctx, &in, time.Now()); err != nil {
			return err
		}
		pr := store.Project{IntegrationID: in.ID, GitLabID: int64(p.ID), Path: p.Path, DefaultBranch: "main", AccessLevel: 40, Selected: true}
		if _, err := tx.UpsertProject(ctx, &pr, time.Now()); err != nil {
			return err
		}
		sc = store.Scan{ProjectID: pr.ID, Trigger: store.TriggerManual, Branch: "main"}
		return job.QueueScan(ctx, inserter, tx, &sc, time.Now())
	})
	if err != nil {
		t.Fatal(err)
	}

	hang.Store(true)
	first := start(t, cfg)
	waitFor(t, "the clone to hang", func() bool { return hung.Load() > 0 })
	stopCtx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := first.Stop(stopCtx); err == nil {
		t.Fatal("Stop returned before the hanging scan finished")
	}
	cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
	defer ccancel()
	if err := first.StopAndCancel(cctx); err != nil {
		t.Fatal(err)
	}
	var state string
	if err := st.DB().QueryRow(`SELECT state FROM river_job WHERE kind = 'scan'`).Scan(&state); err != nil {
		t.Fatal(err)
	}
	if state != "retryable" && state != "available" {
		t.Fatalf("the cancelled scan job is %q; want it back in the queue", state)
	}

	// The restarted workers finish it once GitLab answers.
	hang.Store(false)
	second := start(t, cfg)
	defer second.Stop(ctx)
	// River backs off a retry by seconds; make it due now.
	if _, err := st.DB().Exec(`UPDATE river_job SET scheduled_at = ` + now(d) + ` WHERE kind = 'scan'`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the scan to succeed", func() bool {
		got, err := st.Scan(ctx, sc.ID)
		return err == nil && got.Status == store.ScanSucceeded && len(got.SHA) == 40
	})
}

func now(d store.Dialect) string {
	if d == store.Postgres {
		return "now()"
	}
	return "datetime('now', '-1 second')"
}

func start(t *testing.T, cfg job.Config) *river.Client[*sql.Tx] {
	t.Helper()
	c, err := job.NewClient(cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c.StopAndCancel(ctx)
	})
	return c
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}
