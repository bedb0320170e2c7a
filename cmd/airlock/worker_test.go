package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/integration"
	"github.com/airlock-sec/airlock/internal/job"
	"github.com/airlock-sec/airlock/internal/keyring"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
)

// TestWorkerRunsQueuedScan: a scan queued in the shared PostgreSQL (as
// 'airlock serve' queues it) is run by a separate 'airlock worker'
// process holding the same secret key.
func TestWorkerRunsQueuedScan(t *testing.T) {
	if os.Getenv("AIRLOCK_TEST_DATABASE_URL") == "" {
		t.Skip("AIRLOCK_TEST_DATABASE_URL is not set: the worker needs PostgreSQL")
	}
	ctx := context.Background()
	cfg := storetest.Config(t, store.Postgres)
	st, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	raw := make([]byte, 32)
	rand.Read(raw)
	key := base64.StdEncoding.EncodeToString(raw)
	kr, err := keyring.Open(t.TempDir(), key)
	if err != nil {
		t.Fatal(err)
	}

	gl := gitlabtest.New(t)
	u := gl.AddUser(gitlabtest.User{Username: "bot"})
	tok := gl.AddToken(gitlabtest.Token{Value: "glpat-worker-test-0000000000", UserID: u.ID, Scopes: []string{"api", "read_repository", "write_repository"}})
	p := gl.AddProject(gitlabtest.Project{Path: "g/svc", Members: map[int]gitlabtest.AccessLevel{u.ID: gitlabtest.Maintainer}})
	gl.InitRepo(p, map[string]string{"deploy.sh": "export AWS_ACCESS_KEY_ID=AKIAXIJN2JZPW6W5AJX7\n"})

	inserter, err := job.NewClient(job.Config{Store: st, Keyring: kr}, false)
	if err != nil {
		t.Fatal(err)
	}
	var sc store.Scan
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

	data := t.TempDir()
	cmd := exec.Command(binary, "worker", "--database-url", cfg.DatabaseURL, "--data-dir", data, "--db", filepath.Join(data, "none.sqlite"), "--scan-interval", "0", "--discover-interval", "0")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "AIRLOCK_SECRET_KEY=" + key}
	var se bytes.Buffer
	cmd.Stderr = &se
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-done
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := st.Scan(ctx, sc.ID)
		if err == nil && got.Status == store.ScanSucceeded {
			if got.FindingsNew != 1 {
				t.Errorf("scan found %d new findings, want the AWS key", got.FindingsNew)
			}
			break
		}
		if err == nil && got.Status == store.ScanFailed {
			t.Fatalf("scan failed: %s\n%s", got.Error, se.String())
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker did not run the scan:\n%s", se.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("worker exited with %v:\n%s", err, se.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("worker did not stop after SIGTERM")
	}
	if bytes.Contains(se.Bytes(), []byte(tok.Value)) || bytes.Contains(se.Bytes(), []byte(key)) {
		t.Error("the worker's log contains a secret")
	}
}
