package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDemo runs 'airlock demo' as a newcomer would, from a copy of the
// binary in a directory with nothing beside it (no clone, no ../shared),
// on port 0; once it prints the URL and the token it checks over the API
// that the sample projects gave findings of every kind they hold, then
// stops it with SIGINT and checks it left nothing behind.
func TestDemo(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed: the demo's GitLab stand-in serves repositories through git http-backend")
	}
	alone := t.TempDir()
	bin := filepath.Join(alone, "airlock")
	b, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	cmd := exec.Command(bin, "demo", "--addr", "127.0.0.1:0")
	cmd.Dir = alone
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "TMPDIR=" + tmp}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		done <- cmd.Wait()
	}()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-done
		}
	}()

	var printed strings.Builder
	timeout := time.After(demoTimeout + 30*time.Second)
wait:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the demo stopped before it was ready: %v\nstdout:\n%s\nstderr:\n%s", <-done, printed.String(), stderr.String())
			}
			printed.WriteString(l + "\n")
			if strings.HasPrefix(l, "Press Ctrl+C") {
				break wait
			}
		case <-timeout:
			t.Fatalf("the demo did not get ready:\nstdout:\n%s\nstderr:\n%s", printed.String(), stderr.String())
		}
	}
	text := printed.String()
	base := regexp.MustCompile(`running at (http://127\.0\.0\.1:\d+)\n`).FindStringSubmatch(text)
	tok := regexp.MustCompile(`(?m)^    (alk_[a-z2-7]+)$`).FindStringSubmatch(text)
	if base == nil || tok == nil {
		t.Fatalf("no URL or token in the demo's output:\n%s", text)
	}
	for _, want := range []string{"demo/platform", "demo/deploy-scripts", "demo/infra", "635 OSV records"} {
		if !strings.Contains(text, want) {
			t.Errorf("the output does not mention %q:\n%s", want, text)
		}
	}

	// Where the server has the web UI, the banner sends the newcomer to
	// its sign-in page.
	if resp, err := http.Get(base[1] + "/login"); err == nil {
		resp.Body.Close()
		if has := strings.Contains(text, base[1]+"/login"); has != (resp.StatusCode == http.StatusOK) {
			t.Errorf("GET /login answers %d but the banner mentions it: %v", resp.StatusCode, has)
		}
	}

	type finding struct {
		Kind      string `json:"kind"`
		RuleID    string `json:"rule_id"`
		ProjectID int64  `json:"project_id"`
		Finding   struct {
			Ignored *struct {
				Source string `json:"source"`
			} `json:"ignored"`
			Package struct {
				Ecosystem string `json:"ecosystem"`
				Name      string `json:"name"`
			} `json:"package"`
		} `json:"finding"`
	}
	get := func(path string, out any) {
		t.Helper()
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, base[1]+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok[1])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	byKind := func(kind string) []finding {
		var page struct{ Items []finding }
		get("/api/v1/findings?state=open&limit=1000&kind="+kind, &page)
		return page.Items
	}

	ecosystems := map[string]bool{}
	ignored := false
	for _, f := range byKind("vulnerability") {
		ecosystems[f.Finding.Package.Ecosystem] = true
		if f.RuleID == "GO-2021-0052" {
			ignored = f.Finding.Ignored != nil && f.Finding.Ignored.Source == ".airlock.yaml"
		}
	}
	if !ignored {
		t.Error("GO-2021-0052 (CVE-2020-28483 in gin) is not marked as ignored by the sample's .airlock.yaml")
	}
	for _, eco := range []string{"Go", "PyPI", "crates.io"} {
		if !ecosystems[eco] {
			t.Errorf("no open vulnerability in a %s package; ecosystems with some: %v", eco, ecosystems)
		}
	}
	rules := map[string]bool{}
	for _, kind := range []string{"secret", "iac"} {
		for _, f := range byKind(kind) {
			rules[f.RuleID] = true
		}
	}
	for _, r := range []string{"aws-access-key-id", "gitlab-pat", "AWS010", "AWS001"} {
		if !rules[r] {
			t.Errorf("no open finding of rule %s; secret and IaC rules found: %v", r, rules)
		}
	}
	var projects struct {
		Items []struct {
			Path     string `json:"path_with_namespace"`
			Selected bool   `json:"selected"`
		}
	}
	get("/api/v1/projects", &projects)
	if len(projects.Items) != 3 {
		t.Errorf("%d projects, want the 3 samples: %+v", len(projects.Items), projects.Items)
	}

	cmd.Process.Signal(syscall.SIGINT)
	for range lines {
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the demo exited with %v after SIGINT:\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the demo did not stop after SIGINT")
	}
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		t.Errorf("the demo left %s in its temporary directory", e.Name())
	}
}

func TestDemoUsage(t *testing.T) {
	for _, args := range [][]string{
		{"demo", "--addr", "0.0.0.0:8080"},
		{"demo", "--addr", "192.0.2.1:0"},
		{"demo", "--addr", "8080"},
		{"demo", "extra"},
		{"demo", "--log-level", "loud"},
	} {
		var stdout, stderr strings.Builder
		if code := run(context.Background(), args, nil, &stdout, &stderr); code != exitUsage {
			t.Errorf("%q: exit %d, want %d\n%s", args, code, exitUsage, stderr.String())
		}
		if !strings.Contains(stderr.String(), "airlock: ") {
			t.Errorf("%q: no error message: %q", args, stderr.String())
		}
	}
}

// TestDemoGoModIsRepo40s keeps the demo's copy of the sample go.mod equal
// to testdata/repo40/api/go.mod, the file the OSV sample was cut for.
func TestDemoGoModIsRepo40s(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "repo40", "api", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != demoGoMod {
		t.Error("demoGoMod differs from testdata/repo40/api/go.mod: copy the file into demo.go")
	}
}
