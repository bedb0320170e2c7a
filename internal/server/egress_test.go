package server_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/bundle"
	"github.com/airlock-sec/airlock/internal/job"
	"github.com/airlock-sec/airlock/internal/netx"
	"github.com/airlock-sec/airlock/internal/registry"
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
// builds outbound clients), in offline mode: every one goes to the GitLab
// stand-in, and none is refused (a refusal would mean some part of the
// cycle tried to go elsewhere). As
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

	// The site's PyPI mirror: the versions of requests, yanked and dates
	// for the risk analyzer, licenses for the license analyzer.
	mirror := httptest.NewServer(pypiMirror())
	t.Cleanup(mirror.Close)
	reg, err := registry.New(registry.Config{CacheDir: t.TempDir(), Mirrors: map[string]registry.Mirror{"pypi": {URL: mirror.URL + "/simple"}}})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, store.SQLite, options{work: true, vulns: db, registries: reg, fix: &job.FixConfig{Registry: reg}})
	gl := h.gl
	// Offline mode, as serve runs by default: the process may reach only
	// the configured GitLab instance and mirror, whatever a client's own
	// allowlist.
	hosts, err := netx.NewHosts(gl.URL, mirror.URL)
	if err != nil {
		t.Fatal(err)
	}
	netx.SetOffline(hosts.Permits)
	t.Cleanup(func() { netx.SetOffline(nil) })
	p, pr := onboard(t, h, map[string]string{"requirements.txt": "requests==2.30.0\n"})
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

	// The onboarding scan proposed a plan for requests from the mirror;
	// approved, it becomes a merge request.
	var plans struct {
		Items []struct {
			ID    int64  `json:"id"`
			State string `json:"state"`
			Title string `json:"title"`
			MRIID int64  `json:"mr_iid"`
		} `json:"items"`
	}
	h.admin("GET", fmt.Sprintf("/api/v1/fix-plans?project_id=%d", pr.ID), nil, 200, &plans)
	if len(plans.Items) != 1 || !strings.Contains(plans.Items[0].Title, "requests from 2.30.0") {
		t.Fatalf("fix plans after onboarding: %+v", plans)
	}
	h.admin("POST", fmt.Sprintf("/api/v1/fix-plans/%d/approve", plans.Items[0].ID), map[string]string{"reason": "offline cycle"}, 200, nil)
	eventually(t, 60*time.Second, "the fix merge request", func() bool {
		h.admin("GET", fmt.Sprintf("/api/v1/fix-plans?project_id=%d", pr.ID), nil, 200, &plans)
		return plans.Items[0].State == "open" && plans.Items[0].MRIID > 0
	})
	var risk bool
	var fs struct {
		Items []struct {
			Kind string `json:"kind"`
		} `json:"items"`
	}
	h.admin("GET", fmt.Sprintf("/api/v1/findings?project_id=%d&per_page=100", pr.ID), nil, 200, &fs)
	for _, f := range fs.Items {
		risk = risk || f.Kind == "risk"
	}
	if !risk {
		t.Errorf("no risk finding from the mirror's yanked release: %+v", fs.Items)
	}

	_, glPort, _ := net.SplitHostPort(strings.TrimPrefix(gl.URL, "http://"))
	_, mirrorPort, _ := net.SplitHostPort(strings.TrimPrefix(mirror.URL, "http://"))
	mu.Lock()
	defer mu.Unlock()
	if len(dials) == 0 {
		t.Fatal("no outbound connection was recorded: the observer is not wired to the clients")
	}
	toMirror := 0
	for _, d := range dials {
		host, port, _ := net.SplitHostPort(d.Addr)
		if d.Denied || port != glPort && port != mirrorPort || !net.ParseIP(host).IsLoopback() && host != "localhost" {
			t.Errorf("outbound connection to %s (denied %v): only the GitLab stand-in (port %s) and the mirror (port %s) may be reached", d.Addr, d.Denied, glPort, mirrorPort)
		}
		if port == mirrorPort {
			toMirror++
		}
	}
	if toMirror == 0 {
		t.Error("no connection to the mirror was recorded: the registry clients are not observed")
	}
	t.Logf("%d outbound connections, all to the GitLab stand-in at %s and the mirror at %s", len(dials), gl.URL, mirror.URL)

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

// pypiMirror is a PyPI mirror speaking the simple API (PEP 691 JSON) and
// the JSON API for requests: 2.30.0 yanked, fixed releases after it.
func pypiMirror() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/simple/requests/":
			w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
			fmt.Fprint(w, `{"meta":{"api-version":"1.1"},"name":"requests","files":[
 {"filename":"requests-2.30.0.tar.gz","url":"https://files.example/requests-2.30.0.tar.gz","hashes":{"sha256":"239d7d4458afcb28a692cdd298d87542235f4ca8d36d03a15bfc128a6559a2f4"},"yanked":"test: yanked on the mirror","upload-time":"2023-05-03T15:28:52Z"},
 {"filename":"requests-2.31.0.tar.gz","url":"https://files.example/requests-2.31.0.tar.gz","hashes":{"sha256":"942c5a758f98d790eaed1a29cb6eefc7ffb0d1cf7af05c3d2791656dbd6ad1e1"},"upload-time":"2023-05-22T15:12:44Z"},
 {"filename":"requests-2.32.0.tar.gz","url":"https://files.example/requests-2.32.0.tar.gz","hashes":{"sha256":"fa5490319474c82ef1d2c9bc459d3652e3ae4ef4c4ebdd18a21145a47ca4b6b8"},"upload-time":"2024-05-20T15:00:00Z"},
 {"filename":"requests-2.32.3.tar.gz","url":"https://files.example/requests-2.32.3.tar.gz","hashes":{"sha256":"55365417734eb18255590a9ff9eb97e9e1da868d4ccd6402399eaf68af20a760"},"upload-time":"2024-05-29T15:37:47Z"},
 {"filename":"requests-2.32.4.tar.gz","url":"https://files.example/requests-2.32.4.tar.gz","hashes":{"sha256":"27d0316682c8a29834d3264820024b62a36942083d52caf2f14c0591336d3422"},"upload-time":"2025-06-09T16:43:05Z"},
 {"filename":"requests-2.32.5.tar.gz","url":"https://files.example/requests-2.32.5.tar.gz","hashes":{"sha256":"dbba0bac56e100853db0ea71b82b4dfd5fe2bf6d3754a8893c3af500cec7d7cf"},"upload-time":"2025-08-18T20:46:02Z"}]}`)
		case "/pypi/requests/2.30.0/json", "/pypi/requests/2.31.0/json":
			fmt.Fprint(w, `{"info":{"license":"Apache 2.0","license_expression":"Apache-2.0"}}`)
		default:
			http.NotFound(w, r)
		}
	})
}

// TestEgressRefusalReported: in offline mode a connection to a destination
// outside the configuration is refused before it is dialled, logged with
// the destination and counted in airlock_egress_refused_total.
func TestEgressRefusalReported(t *testing.T) {
	h := newHarness(t, store.SQLite, options{})
	hosts, err := netx.NewHosts(h.gl.URL)
	if err != nil {
		t.Fatal(err)
	}
	netx.SetOffline(hosts.Permits)
	t.Cleanup(func() { netx.SetOffline(nil) })
	netx.Observe(h.srv.ObserveEgress)
	t.Cleanup(func() { netx.Observe(nil) })
	var hits int32
	outside := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { atomic.AddInt32(&hits, 1) }))
	defer outside.Close()
	dest := outside.Listener.Addr().String()
	c, err := netx.NewClient(netx.Config{Allow: []string{dest}})
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := c.Get(outside.URL); err == nil {
		resp.Body.Close()
		t.Fatal("offline mode let a connection outside the configuration through")
	}
	if atomic.LoadInt32(&hits) != 0 {
		t.Error("the refused destination received a request")
	}
	resp, err := http.Get(h.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `airlock_egress_refused_total{destination="` + dest + `"} 1`; !strings.Contains(string(b), want) {
		t.Errorf("/metrics lacks %s", want)
	}
	if logs := h.logs.String(); !strings.Contains(logs, "outbound connection refused") || !strings.Contains(logs, dest) {
		t.Errorf("no log line naming the refused destination:\n%s", logs)
	}
}
