package server_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/bundle"
	"github.com/airlock-sec/airlock/internal/netx"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/vulndb"
)

// netnsChild marks the run of TestZeroEgress inside a network namespace
// that has only a loopback interface.
const netnsChild = "AIRLOCK_TEST_NETNS_CHILD"

// egressChild marks the run of TestZeroEgress in a process of its own.
const egressChild = "AIRLOCK_TEST_EGRESS_CHILD"

// TestZeroEgress runs a whole cycle — a signed data bundle imported,
// GitLab connected, projects discovered, the onboarding scan, a merge
// request scanned with every analyzer and noted — while recording every
// outbound connection the process makes through netx (the only place that
// builds outbound clients): every one goes to the GitLab stand-in. As
// root, it runs again inside a network namespace with no route out, where
// any attempt to reach another host fails the cycle.
func TestZeroEgress(t *testing.T) {
	if os.Getenv(egressChild) == "" && os.Getenv(netnsChild) == "" {
		// The observer sees the whole process: the cycle runs in a process
		// of its own, where no other test's goroutines dial anything.
		cmd := exec.Command(os.Args[0], "-test.run", "^TestZeroEgress$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), egressChild+"=1", "AIRLOCK_TEST_DATABASE_URL=")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestZeroEgress") {
			t.Fatalf("the cycle failed: %v\n%s", err, out)
		}
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, "outbound connections") || strings.Contains(l, "namespace") {
				t.Log(strings.TrimSpace(l))
			}
		}
		return
	}
	var mu sync.Mutex
	var dials []netx.Dial
	netx.Observe(func(d netx.Dial) {
		mu.Lock()
		dials = append(dials, d)
		mu.Unlock()
	})
	t.Cleanup(func() { netx.Observe(nil) })

	// The vulnerability data arrives as a signed bundle.
	dir := t.TempDir()
	if _, err := bundle.GenerateKey(filepath.Join(dir, "site")); err != nil {
		t.Fatal(err)
	}
	key, err := bundle.LoadPrivateKey(filepath.Join(dir, "site.key"))
	if err != nil {
		t.Fatal(err)
	}
	kr, err := bundle.LoadKeyring(filepath.Join(dir, "site.pub"))
	if err != nil {
		t.Fatal(err)
	}
	bf := filepath.Join(dir, "data.bundle")
	if _, _, err := bundle.Build(context.Background(), bf, []string{"../../testdata/osv-sample/PyPI/all.zip"}, bundle.BuildOptions{Key: key, Source: "test"}); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(context.Background(), filepath.Join(dir, "vulndb.sqlite"), vulndb.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	b, err := bundle.Open(bf, kr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Apply(context.Background(), db, b, bundle.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	b.Close()

	h := newHarness(t, store.SQLite, options{work: true, vulns: db})
	gl := h.gl
	p, pr := onboard(t, h, map[string]string{"requirements.txt": "requests==2.31.0\n"})
	gl.Commit(p, "upgrade", map[string]string{
		"requirements.txt": "requests==2.31.0\ndjango==3.2.0\n",
		"deploy/env.sh":    "export AWS_ACCESS_KEY_ID=AKIAXIJN2JZPW6W5AJX7\n",
	}, "django and a deploy script")
	mr := gl.OpenMR(p, "upgrade", "main", "Upgrade")
	sc := waitScan(t, h, pr.ID, "upgrade", store.TriggerMergeRequest)
	if len(sc.Introduced) == 0 {
		t.Fatalf("the merge request scan found nothing: %+v", sc)
	}
	var body string
	eventually(t, 30*time.Second, "the merge request note", func() bool {
		if ns := gl.Notes(p, mr.IID); len(ns) == 1 {
			body = ns[0].Body
			return true
		}
		return false
	})
	for _, want := range []string{"django", "aws-access-key-id"} {
		if !strings.Contains(body, want) {
			t.Errorf("note lacks %q:\n%s", want, body)
		}
	}

	_, glPort, _ := net.SplitHostPort(strings.TrimPrefix(gl.URL, "http://"))
	mu.Lock()
	defer mu.Unlock()
	if len(dials) == 0 {
		t.Fatal("no outbound connection was recorded: the observer is not wired to the clients")
	}
	for _, d := range dials {
		host, port, _ := net.SplitHostPort(d.Addr)
		if d.Denied || port != glPort || !net.ParseIP(host).IsLoopback() && host != "localhost" {
			t.Errorf("outbound connection to %s (denied %v): only the GitLab stand-in (port %s) may be reached", d.Addr, d.Denied, glPort)
		}
	}
	t.Logf("%d outbound connections, all to the GitLab stand-in at %s", len(dials), gl.URL)

	if os.Getenv(netnsChild) != "" || os.Getuid() != 0 {
		return
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Logf("unshare not found: the cycle is not repeated in a network namespace")
		return
	}
	// The same cycle with no route out of the machine: only loopback.
	cmd := exec.Command("unshare", "--net", "--", "sh", "-c", `ip link set lo up && exec "$0" -test.run '^TestZeroEgress$' -test.count=1 -test.v`, os.Args[0])
	cmd.Env = append(os.Environ(), netnsChild+"=1", egressChild+"=", "AIRLOCK_TEST_DATABASE_URL=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "Operation not permitted") {
			t.Logf("no network namespace here (%s): the cycle is not repeated", strings.TrimSpace(string(out)))
			return
		}
		t.Fatalf("the cycle in a network namespace without a route out failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestZeroEgress") {
		t.Fatalf("the cycle in a network namespace did not pass:\n%s", out)
	}
	t.Logf("the cycle passed again in a network namespace with only loopback")
}
