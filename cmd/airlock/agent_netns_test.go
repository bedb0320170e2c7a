package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/integration"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/tunnel"
)

// netns is a network namespace joined to the root namespace by a veth
// pair: the root side has hostIP, the namespace's side nsIP, on one /30.
// Inside, only its own loopback and that link exist, so a process in it
// reaches nothing on the root namespace's 127.0.0.1.
type netns struct {
	name         string
	hostIP, nsIP string
	hostIf, nsIf string
	net          string
}

// ipCmd runs ip with args and fails the test with its output.
func ipCmd(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// newNetns makes a namespace and its veth link with names unique to this
// run, removed when the test ends (the namespace's deletion takes the
// veth pair with it; the root side is deleted too in case the move into
// the namespace failed). It skips the test where namespaces cannot be
// made: not root, no ip(8), or no permission (an unprivileged container).
func newNetns(t *testing.T) *netns {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("not root: the network-namespace isolation test needs to create namespaces and veth pairs (CI runs it as root)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("ip (iproute2) not found: the network-namespace isolation test needs ip netns")
	}
	id := make([]byte, 4)
	rand.Read(id)
	h := hex.EncodeToString(id)
	n := &netns{name: "airlock-test-" + h, hostIf: "alk" + h + "h", nsIf: "alk" + h + "n"}
	if out, err := exec.Command("ip", "netns", "add", n.name).CombinedOutput(); err != nil {
		if strings.Contains(string(out), "Operation not permitted") || strings.Contains(string(out), "Permission denied") {
			t.Skipf("no network namespaces here (%s): the isolation test cannot run", strings.TrimSpace(string(out)))
		}
		t.Fatalf("ip netns add %s: %v\n%s", n.name, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", n.name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v\n%s", n.name, err, out)
		}
		// Gone with the namespace, unless it never moved there.
		exec.Command("ip", "link", "del", n.hostIf).Run()
	})
	// A /30 in 10.213.0.0/16 that no route of this machine covers yet.
	for range 50 {
		r, _ := rand.Int(rand.Reader, big.NewInt(1<<14))
		base := int(r.Int64()) * 4
		n.net = fmt.Sprintf("10.213.%d.%d/30", base>>8, base&0xff)
		out, err := exec.Command("ip", "-4", "route", "show", "match", n.net).Output()
		if err == nil && !strings.Contains(string(out), "10.213.") {
			n.hostIP = fmt.Sprintf("10.213.%d.%d", base>>8, base&0xff+1)
			n.nsIP = fmt.Sprintf("10.213.%d.%d", base>>8, base&0xff+2)
			break
		}
	}
	if n.hostIP == "" {
		t.Fatal("no free /30 in 10.213.0.0/16 for the veth link")
	}
	ipCmd(t, "link", "add", n.hostIf, "type", "veth", "peer", "name", n.nsIf)
	ipCmd(t, "link", "set", n.nsIf, "netns", n.name)
	ipCmd(t, "addr", "add", n.hostIP+"/30", "dev", n.hostIf)
	ipCmd(t, "link", "set", n.hostIf, "up")
	ipCmd(t, "-n", n.name, "addr", "add", n.nsIP+"/30", "dev", n.nsIf)
	ipCmd(t, "-n", n.name, "link", "set", n.nsIf, "up")
	ipCmd(t, "-n", n.name, "link", "set", "lo", "up")
	return n
}

// proc is a running airlock process whose standard error is kept.
type proc struct {
	cmd    *exec.Cmd
	stderr lockedBuffer
	done   chan error
}

// startProc starts name args with env, killed when the test ends if it
// still runs.
func startProc(t *testing.T, env []string, name string, args ...string) *proc {
	t.Helper()
	p := &proc{done: make(chan error, 1)}
	p.cmd = exec.Command(name, args...)
	p.cmd.Env = env
	pr, pw := io.Pipe()
	p.cmd.Stderr = pw
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.stderr.Write(append(sc.Bytes(), '\n'))
		}
		io.Copy(io.Discard, pr)
	}()
	go func() { p.done <- p.cmd.Wait(); pw.Close() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// stop sends SIGTERM and wants a clean exit.
func (p *proc) stop(t *testing.T, what string) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("%s exited with %v after SIGTERM:\n%s", what, err, p.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Errorf("%s did not stop after SIGTERM:\n%s", what, p.stderr.String())
	}
}

// waitFor polls cond until it holds, failing the test after limit.
func waitFor(t *testing.T, limit time.Duration, what string, p *proc, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; server log:\n%s", what, p.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAgentNetnsIsolation: GitLab is reachable only by the agent. The
// server runs in a network namespace whose only link is a veth pair to
// the root namespace; the GitLab stand-in listens on the root
// namespace's 127.0.0.1, which the server cannot reach. The agent runs in
// the root namespace, dials the server over the veth link and reaches
// GitLab. The server's own attempt to reach GitLab fails (an integration
// without the agent cannot be created), while Test Connection, discovery
// with its webhook, the onboarding scan (a git clone through the agent)
// and a merge request's scan and note all succeed through the tunnel;
// every request GitLab received was relayed by the agent.
func TestAgentNetnsIsolation(t *testing.T) {
	ns := newNetns(t)

	gl := gitlabtest.New(t)
	u := gl.AddUser(gitlabtest.User{Username: "airlock-bot", Name: "Airlock Bot", Email: "bot@example.com"})
	tok := gl.AddToken(gitlabtest.Token{Value: "glpat-netns-isolation-0001", UserID: u.ID, Scopes: []string{"api", "read_repository", "write_repository"}})
	p := gl.AddProject(gitlabtest.Project{Path: "platform/payments", Members: map[int]gitlabtest.AccessLevel{u.ID: gitlabtest.Maintainer}})
	gl.InitRepo(p, map[string]string{"README.md": "# payments\n", "deploy/env.sh": "export AWS_ACCESS_KEY_ID=AKIAXIJN2JZPW6W5AJX7\n"})
	if !strings.HasPrefix(gl.URL, "http://127.0.0.1:") {
		t.Fatalf("the stand-in listens at %s, want the root namespace's loopback", gl.URL)
	}

	// The server, inside the namespace, listening on its side of the link.
	const admin = "alk_netns_isolation_admin_0123456789"
	serverURL := "http://" + net.JoinHostPort(ns.nsIP, "8080")
	data := t.TempDir()
	srv := startProc(t, []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "AIRLOCK_ADMIN_TOKEN=" + admin},
		"ip", "netns", "exec", ns.name, binary, "serve", "--addr", net.JoinHostPort(ns.nsIP, "8080"), "--public-url", serverURL,
		"--data-dir", data, "--db", filepath.Join(data, "no-vulndb.sqlite"), "--scan-interval", "0", "--discover-interval", "0", "--change-poll-interval", "0", "--health-interval", "0")
	hc := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 60 * time.Second}
	api := func(method, path string, body any, want int, out any) []byte {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, serverURL+path, rd)
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, srv.stderr.String())
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %s, want %d: %s\nserver log:\n%s", method, path, resp.Status, want, b, srv.stderr.String())
		}
		if out != nil {
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatalf("%s %s: %v: %s", method, path, err, b)
			}
		}
		return b
	}
	waitFor(t, 30*time.Second, "the server in the namespace to be ready", srv, func() bool {
		select {
		case err := <-srv.done:
			srv.done <- err
			t.Fatalf("serve exited: %v\n%s", err, srv.stderr.String())
		default:
		}
		resp, err := hc.Get(serverURL + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	// The server's direct attempt fails: the stand-in's address is the
	// namespace's own loopback, where nothing listens.
	before := len(gl.Requests())
	var direct struct{ Error integration.CheckMessage }
	b := api("POST", "/api/v1/integrations", map[string]any{"url": gl.URL, "token": tok.Value, "name": "direct"}, http.StatusUnprocessableEntity, &direct)
	if direct.Error.Code != "unreachable" || !strings.Contains(direct.Error.Hint, "refused the connection") {
		t.Errorf("the direct integration's error is not a refused connection: %s", b)
	}
	if n := len(gl.Requests()) - before; n != 0 {
		t.Fatalf("the server reached GitLab directly from its namespace (%d requests)", n)
	}
	t.Logf("the server's direct attempt: %s", bytes.TrimSpace(b))

	var key struct {
		Pool string `json:"pool"`
		Key  string `json:"key"`
	}
	api("POST", "/api/v1/agent-keys", map[string]string{"pool": "dc1"}, http.StatusCreated, &key)

	// The agent, in the root namespace: it reaches the server over the
	// link and GitLab on loopback, and takes GitLab's webhooks.
	hooks := freeAddr(t)
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	agent := startProc(t, []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "AIRLOCK_AGENT_KEY=" + key.Key},
		binary, "agent", "--server", serverURL, "--gitlab-url", gl.URL, "--listen", hooks, "--audit-log", audit,
		"--server-proxy", "none", "--gitlab-proxy", "none", "--log-format", "text")
	waitFor(t, 30*time.Second, "the agent to connect", srv, func() bool { return strings.Contains(agent.stderr.String(), "connected to the server") })

	// Test Connection on create runs through the agent.
	var in struct {
		ID         int64                   `json:"id"`
		WebhookURL string                  `json:"webhook_url"`
		Check      integration.CheckResult `json:"last_check"`
	}
	api("POST", "/api/v1/integrations", map[string]any{"url": gl.URL, "token": tok.Value, "name": "corp", "via_agent": true, "agent_pool": "dc1", "agent_webhook_url": "http://" + hooks}, http.StatusCreated, &in)
	if !in.Check.OK || in.Check.CheckedVia != "agent" || in.Check.Username != "airlock-bot" {
		t.Fatalf("Test Connection on create: %+v", in.Check)
	}
	if want := fmt.Sprintf("http://%s/webhooks/gitlab/%d", hooks, in.ID); in.WebhookURL != want {
		t.Fatalf("webhook_url %s, want %s", in.WebhookURL, want)
	}
	var again integration.CheckResult
	api("POST", fmt.Sprintf("/api/v1/integrations/%d/test", in.ID), nil, http.StatusOK, &again)
	if !again.OK || again.CheckedVia != "agent" {
		t.Fatalf("Test Connection: %+v", again)
	}

	// Discovery registers the project's hook at the agent.
	var pr store.Project
	waitFor(t, 30*time.Second, "discovery and the project's hook", srv, func() bool {
		var ps struct{ Items []store.Project }
		api("GET", fmt.Sprintf("/api/v1/projects?integration_id=%d", in.ID), nil, http.StatusOK, &ps)
		if len(ps.Items) == 1 && ps.Items[0].HookStatus == store.HookRegistered {
			pr = ps.Items[0]
			return true
		}
		return false
	})
	if hs := gl.Hooks(p); len(hs) != 1 || hs[0].URL != in.WebhookURL {
		t.Fatalf("hooks %+v, want one to the agent", hs)
	}

	// A scan: the clone goes through the agent.
	scan := func(branch, trigger string) store.Scan {
		t.Helper()
		var got store.Scan
		waitFor(t, 60*time.Second, "a "+trigger+" scan of "+branch, srv, func() bool {
			var ss struct{ Items []store.Scan }
			api("GET", fmt.Sprintf("/api/v1/scans?project_id=%d&branch=%s", pr.ID, branch), nil, http.StatusOK, &ss)
			for _, s := range ss.Items {
				if s.Trigger != trigger {
					continue
				}
				if s.Status == store.ScanFailed {
					t.Fatalf("%s scan of %s failed: %s\nserver log:\n%s", trigger, branch, s.Error, srv.stderr.String())
				}
				got = s
				return s.Status == store.ScanSucceeded
			}
			return false
		})
		return got
	}
	if sc := scan("main", store.TriggerOnboard); sc.FindingsTotal != 1 {
		t.Fatalf("onboarding scan through the agent: %+v", sc)
	}

	// A merge request: GitLab's webhook reaches the server through the
	// agent's relay, the branch is cloned through the agent, and the note
	// is written through it.
	gl.Commit(p, "feature", map[string]string{"deploy/key.env": "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY\n"}, "add key")
	mr := gl.OpenMR(p, "feature", "main", "Add key")
	if sc := scan("feature", store.TriggerMergeRequest); sc.FindingsNew == 0 {
		t.Fatalf("merge request scan through the agent found nothing new: %+v", sc)
	}
	waitFor(t, 30*time.Second, "the merge request note", srv, func() bool { return len(gl.Notes(p, mr.IID)) == 1 })

	var agents []tunnel.AgentInfo
	api("GET", fmt.Sprintf("/api/v1/integrations/%d/agents", in.ID), nil, http.StatusOK, &agents)
	if len(agents) != 1 || agents[0].Requests == 0 {
		t.Fatalf("agents %+v", agents)
	}

	// Every request GitLab received came from the agent: as many as the
	// agent relayed (an audit line is written when its answer ends, so
	// the last ones may lag a little), the clones' among them.
	relayed := func() (n int, lines string) {
		b, _ := os.ReadFile(audit)
		for l := range strings.Lines(string(b)) {
			if strings.Contains(l, `"outcome":"relayed"`) {
				n++
			}
		}
		return n, string(b)
	}
	waitFor(t, 30*time.Second, "the agent's audit log to account for every GitLab request", srv, func() bool {
		n, _ := relayed()
		return n == len(gl.Requests())
	})
	n, lines := relayed()
	if !strings.Contains(lines, `"path":"/platform/payments.git/git-upload-pack"`) || !strings.Contains(lines, `"outcome":"webhook"`) {
		t.Errorf("the agent's audit log lacks the clone or the webhook:\n%s", lines)
	}
	if strings.Contains(lines+agent.stderr.String()+srv.stderr.String(), tok.Value) {
		t.Error("a log shows the GitLab token")
	}
	t.Logf("%d GitLab requests, all relayed by the agent; the server in namespace %s (%s) could not reach %s", n, ns.name, ns.nsIP, gl.URL)

	agent.stop(t, "the agent")
	srv.stop(t, "the server")
}
