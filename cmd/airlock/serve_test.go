package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// served is a running 'airlock serve'.
type served struct {
	cmd    *exec.Cmd
	addr   string
	mu     sync.Mutex
	stderr bytes.Buffer
	done   chan error
}

func (s *served) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

func startServe(t *testing.T, dataDir string, env ...string) *served {
	t.Helper()
	s := &served{addr: freeAddr(t), done: make(chan error, 1)}
	s.cmd = exec.Command(binary, "serve", "--addr", s.addr, "--data-dir", dataDir, "--db", filepath.Join(dataDir, "no-vulndb.sqlite"), "--scan-interval", "0", "--discover-interval", "0")
	s.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	pr, pw := io.Pipe()
	s.cmd.Stderr = pw
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			s.mu.Lock()
			s.stderr.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
		}
	}()
	go func() { s.done <- s.cmd.Wait(); pw.Close() }()
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			s.cmd.Process.Kill()
			<-s.done
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + s.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not become ready:\n%s", s.log())
		}
		select {
		case err := <-s.done:
			t.Fatalf("serve exited: %v\n%s", err, s.log())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (s *served) stop(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM:\n%s", err, s.log())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop after SIGTERM:\n%s", s.log())
	}
}

func (s *served) get(t *testing.T, path, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+s.addr+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// do sends an API request with a JSON body (nil for none) and returns the
// status and the body.
func (s *served) do(t *testing.T, method, path, token string, body any) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, "http://"+s.addr+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var tokenLine = regexp.MustCompile(`(?m)^\s+(alk_[a-z2-7]+)$`)

// TestServeLifecycle starts the server on an empty data directory, takes
// the admin token it prints once, stops it with SIGTERM, and starts it
// again on the same data: the token still works and no new one is shown.
func TestServeLifecycle(t *testing.T) {
	dir := t.TempDir()
	s := startServe(t, dir)
	m := tokenLine.FindStringSubmatch(s.log())
	if m == nil {
		t.Fatalf("no admin token printed:\n%s", s.log())
	}
	tok := m[1]
	if c := s.get(t, "/api/v1/me", tok); c != 200 {
		t.Fatalf("/api/v1/me with the printed token: %d", c)
	}
	if c := s.get(t, "/api/v1/me", "alk_wrong"); c != 401 {
		t.Fatalf("/api/v1/me with a wrong token: %d", c)
	}
	fi, err := os.Stat(filepath.Join(dir, "secret.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	if !strings.Contains(s.log(), "dependency scanning disabled") {
		t.Errorf("no warning about the missing vulnerability data:\n%s", s.log())
	}
	s.stop(t)
	if !strings.Contains(s.log(), "shutting down") {
		t.Errorf("no shutdown line:\n%s", s.log())
	}

	again := startServe(t, dir)
	if tokenLine.MatchString(again.log()) {
		t.Errorf("a second admin token was printed on restart:\n%s", again.log())
	}
	if c := again.get(t, "/api/v1/me", tok); c != 200 {
		t.Fatalf("the first token after restart: %d", c)
	}
	again.stop(t)
	if n := strings.Count(s.log()+again.log(), tok); n != 1 {
		t.Errorf("the admin token appears %d times in the output; want only its one announcement", n)
	}
}

func TestServeAdminTokenFromEnv(t *testing.T) {
	tok := "alk_from_environment_0123456789"
	s := startServe(t, t.TempDir(), "AIRLOCK_ADMIN_TOKEN="+tok)
	if tokenLine.MatchString(s.log()) {
		t.Errorf("a token was printed although AIRLOCK_ADMIN_TOKEN is set")
	}
	if c := s.get(t, "/api/v1/me", tok); c != 200 {
		t.Fatalf("AIRLOCK_ADMIN_TOKEN refused: %d", c)
	}
	s.stop(t)
}

func TestServeConfigErrors(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "airlock.yaml")
	os.WriteFile(cfg, []byte("addr: 127.0.0.1:0\nscan_intervall: 1h\n"), 0o644)
	badRegistry := filepath.Join(dir, "registry.yaml")
	os.WriteFile(badRegistry, []byte("addr: 127.0.0.1:0\nregistries:\n  mirrors:\n    cobol: {url: \"https://x.corp\"}\n"), 0o644)
	badLicenses := filepath.Join(dir, "licenses.yaml")
	os.WriteFile(badLicenses, []byte("addr: 127.0.0.1:0\nlicenses:\n  deny: [Nope-9]\n"), 0o644)
	noMirror := filepath.Join(dir, "nomirror.yaml")
	os.WriteFile(noMirror, []byte("remediation:\n  enabled: true\n"), 0o644)
	majorBump := filepath.Join(dir, "major.yaml")
	os.WriteFile(majorBump, []byte("registries:\n  mirrors:\n    go:\n      url: https://athens.example.com\nremediation:\n  enabled: true\n  auto_approve:\n    min_severity: high\n    max_bump: major\n"), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		env  []string
		code int
		want string
	}{
		{"unknown config key", []string{"serve", "--config", cfg}, nil, 1, "scan_intervall"},
		{"bad env duration", []string{"serve"}, []string{"AIRLOCK_SCAN_INTERVAL=daily"}, 1, "AIRLOCK_SCAN_INTERVAL"},
		{"bad fail-on", []string{"serve", "--fail-on", "severe", "--data-dir", dir}, nil, 2, "--fail-on"},
		{"worker without PostgreSQL", []string{"worker", "--data-dir", dir}, nil, 2, "PostgreSQL"},
		{"integer and duration from the environment", []string{"worker", "--data-dir", dir}, []string{"AIRLOCK_SCAN_WORKERS=4", "AIRLOCK_SCAN_TIMEOUT=20m"}, 2, "PostgreSQL"},
		{"serve argument", []string{"serve", "extra"}, nil, 2, "no arguments"},
		{"remediation without a mirror", []string{"serve", "--config", noMirror, "--data-dir", dir}, nil, 1, "no mirror is configured"},
		{"remediation with a major auto-approval", []string{"serve", "--config", majorBump, "--data-dir", dir}, nil, 1, "major upgrades are never automatic"},
		{"bad database URL", []string{"serve", "--data-dir", dir, "--database-url", "mysql://x/y"}, nil, 1, "postgres://"},
		{"unknown registry ecosystem", []string{"serve", "--config", badRegistry, "--data-dir", dir}, nil, 1, badRegistry + `: registries.mirrors: unknown ecosystem "cobol"`},
		{"bad license policy", []string{"serve", "--config", badLicenses, "--data-dir", dir}, nil, 1, badLicenses + `:3: licenses.deny: "Nope-9" is not one SPDX license id`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(binary, tc.args...)
			cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, tc.env...)
			var se bytes.Buffer
			cmd.Stderr = &se
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if code != tc.code || !strings.Contains(se.String(), tc.want) {
				t.Errorf("exit %d, want %d; stderr %q should mention %q", code, tc.code, se.String(), tc.want)
			}
		})
	}
}
