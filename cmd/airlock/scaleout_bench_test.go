package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/integration"
	"github.com/airlock-sec/airlock/internal/job"
	"github.com/airlock-sec/airlock/internal/keyring"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
)

// BenchmarkScaleOutWorkers onboards 200 projects on PostgreSQL with 1, 2
// and 4 `airlock worker` processes (the binary built for these tests,
// each running one scan at a time: --scan-workers 1), against the GitLab
// stand-in on loopback. One op: the 200 onboarding scans queued in one
// transaction, as discovery queues them, and run to the end (clone and
// secret scan of a small repository each). Reported: scans/s, and the
// pickup latency — from a scan's queueing to its start — of one scan
// queued on the idle workers afterwards (median of 5).
func BenchmarkScaleOutWorkers(b *testing.B) {
	if os.Getenv("AIRLOCK_TEST_DATABASE_URL") == "" {
		b.Skip("AIRLOCK_TEST_DATABASE_URL is not set: workers share PostgreSQL")
	}
	const projects = 200
	gl := gitlabtest.New(b)
	u := gl.AddUser(gitlabtest.User{Username: "bot"})
	tok := gl.AddToken(gitlabtest.Token{Value: "glpat-scaleout-bench-000000", UserID: u.ID, Scopes: []string{"api", "read_repository"}})
	var ids []int
	for i := range projects {
		p := gl.AddProject(gitlabtest.Project{Path: fmt.Sprintf("g/svc-%03d", i), Members: map[int]gitlabtest.AccessLevel{u.ID: gitlabtest.Maintainer}})
		gl.InitRepo(p, map[string]string{"README.md": "# svc\n", "deploy.sh": "export AWS_ACCESS_KEY_ID=AKIAXIJN2JZPW6W5AJX7\n", "src/main.go": "package main\n\nfunc main() {}\n"})
		ids = append(ids, p.ID)
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	key := base64.StdEncoding.EncodeToString(raw)

	for _, n := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("workers=%d", n), func(b *testing.B) {
			ctx := context.Background()
			cfg := storetest.Config(b, store.Postgres)
			st, err := store.Open(ctx, cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			kr, err := keyring.Open(b.TempDir(), key)
			if err != nil {
				b.Fatal(err)
			}
			inserter, err := job.NewClient(job.Config{Store: st, Keyring: kr}, false)
			if err != nil {
				b.Fatal(err)
			}
			var prs []store.Project
			err = st.InTx(ctx, func(tx *store.Tx) error {
				in := store.Integration{Name: "gl", URL: gl.URL, TokenKind: "personal", TokenSealed: []byte{}, WebhookSealed: []byte{}, Selection: store.SelectAll}
				if err := tx.CreateIntegration(ctx, &in, time.Now()); err != nil {
					return err
				}
				if in.TokenSealed, err = kr.Seal([]byte(tok.Value), integration.AAD(in.ID, integration.FieldToken)); err != nil {
					return err
				}
				if err := tx.UpdateIntegration(ctx, &in, time.Now()); err != nil {
					return err
				}
				for i, id := range ids {
					pr := store.Project{IntegrationID: in.ID, GitLabID: int64(id), Path: fmt.Sprintf("g/svc-%03d", i), DefaultBranch: "main", AccessLevel: 40, Selected: true, Visible: true}
					if _, err := tx.UpsertProject(ctx, &pr, time.Now()); err != nil {
						return err
					}
					prs = append(prs, pr)
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			for range n {
				startWorker(b, cfg.DatabaseURL, key)
			}
			queue := func(trigger string, ps []store.Project) []int64 {
				var scans []int64
				err := st.InTx(ctx, func(tx *store.Tx) error {
					for _, p := range ps {
						sc := store.Scan{ProjectID: p.ID, Trigger: trigger, Branch: "main"}
						if err := job.QueueScan(ctx, inserter, tx, &sc, time.Now()); err != nil {
							return err
						}
						scans = append(scans, sc.ID)
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				return scans
			}
			wait := func(scans []int64) {
				deadline := time.Now().Add(30 * time.Minute)
				for {
					var done, failed int
					err := st.DB().QueryRow(`SELECT COUNT(*) FILTER (WHERE status = 'succeeded'), COUNT(*) FILTER (WHERE status = 'failed') FROM scan WHERE id = ANY($1)`, "{"+join(scans)+"}").Scan(&done, &failed)
					if err != nil {
						b.Fatal(err)
					}
					if failed > 0 {
						b.Fatalf("%d scans failed", failed)
					}
					if done == len(scans) {
						return
					}
					if time.Now().After(deadline) {
						b.Fatalf("%d of %d scans done after 30 min", done, len(scans))
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
			var total time.Duration
			for b.Loop() {
				began := time.Now()
				wait(queue(store.TriggerOnboard, prs))
				total += time.Since(began)
			}
			b.ReportMetric(float64(projects*b.N)/total.Seconds(), "scans/s")
			var pickups []float64
			for range 5 {
				sc := queue(store.TriggerManual, prs[:1])
				wait(sc)
				var queued, started int64
				if err := st.DB().QueryRow(`SELECT created_at, started_at FROM scan WHERE id = $1`, sc[0]).Scan(&queued, &started); err != nil {
					b.Fatal(err)
				}
				pickups = append(pickups, float64(started-queued))
			}
			slices.Sort(pickups)
			b.ReportMetric(pickups[len(pickups)/2], "pickup-ms")
		})
	}
}

func join(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, ",")
}

// startWorker starts `airlock worker` on the database with one scan at a
// time and waits until it runs.
func startWorker(b *testing.B, databaseURL, key string) {
	data := b.TempDir()
	cmd := exec.Command(binary, "worker", "--database-url", databaseURL, "--data-dir", data, "--db", filepath.Join(data, "none.sqlite"),
		"--scan-interval", "0", "--discover-interval", "0", "--scan-workers", "1", "--log-format", "text")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + b.TempDir(), "AIRLOCK_SECRET_KEY=" + key}
	se, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(se)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "airlock worker running") {
				close(ready)
				break
			}
		}
		io.Copy(io.Discard, se)
	}()
	select {
	case <-ready:
	case <-time.After(60 * time.Second):
		b.Fatal("the worker did not start")
	}
}
