package fix

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/registry"
)

// TestToolTimeoutKillsGroup: a native tool that outlives its timeout is
// stopped with everything it started (its process group), its output is
// kept, and the error says it did not finish.
func TestToolTimeoutKillsGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	a := &Applier{Timeout: 300 * time.Millisecond}
	out, err := a.run(context.Background(), dir, []string{"PATH=" + os.Getenv("PATH")}, "sh", "-c", "sleep 60 & echo $! > "+pidFile+"; echo started; wait")
	if err == nil || !strings.Contains(err.Error(), "did not finish within 300ms") {
		t.Fatalf("error %v, want the timeout named", err)
	}
	if !strings.Contains(out, "started") {
		t.Errorf("output not kept: %q", out)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	// The kill is delivered by the time run returns; the child may take a
	// moment to be reaped by init.
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := syscall.Kill(pid, 0)
		if errors.Is(err, syscall.ESRCH) {
			break
		}
		if st, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); strings.Contains(string(st), ") Z ") {
			break // killed, waiting to be reaped
		}
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the tool's child %d outlived the timeout", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestToolEnv: the tools get no proxy, Go or npm settings of the
// environment; every connection goes to a proxy that refuses it, but the
// mirror's host, reached directly (or the mirror's own proxy when one is
// configured).
func TestToolEnv(t *testing.T) {
	a := &Applier{Env: []string{"PATH=/usr/bin", "HOME=/home/u", "HTTPS_PROXY=http://corp:3128", "no_proxy=*", "GOFLAGS=-insecure", "GOPROXY=https://proxy.golang.org", "npm_config_registry=https://registry.npmjs.org", "NPM_CONFIG_IGNORE_SCRIPTS=false"}}
	env := a.toolEnv(registry.Mirror{URL: "https://mirror.corp.example/npm/"}, "EXTRA=1")
	for _, bad := range []string{"HTTPS_PROXY=http://corp:3128", "no_proxy=*", "GOFLAGS=-insecure", "GOPROXY=https://proxy.golang.org", "npm_config_registry=https://registry.npmjs.org", "NPM_CONFIG_IGNORE_SCRIPTS=false"} {
		if slices.Contains(env, bad) {
			t.Errorf("the environment's %s reached the tool", bad)
		}
	}
	for _, want := range []string{"PATH=/usr/bin", "HOME=/home/u", "HTTPS_PROXY=" + nowhere, "HTTP_PROXY=" + nowhere, "NO_PROXY=mirror.corp.example", "no_proxy=mirror.corp.example", "EXTRA=1"} {
		if !slices.Contains(env, want) {
			t.Errorf("tool environment lacks %s: %v", want, env)
		}
	}
	env = a.toolEnv(registry.Mirror{URL: "https://mirror.corp.example/npm/", Proxy: "http://egress.corp:8080", NoProxy: ".corp.example"})
	if !slices.Contains(env, "HTTPS_PROXY=http://egress.corp:8080") || !slices.Contains(env, "NO_PROXY=.corp.example") {
		t.Errorf("the mirror's own proxy is not used: %v", env)
	}
}

// TestManualInstructions: a change airlock does not make itself gets the
// exact command of its ecosystem's tool, with where and what.
func TestManualInstructions(t *testing.T) {
	for _, c := range []struct {
		manifest, name, from, to, want string
	}{
		{"web/yarn.lock", "lodash", "4.17.20", "4.17.21", "web/yarn.lock:7: lodash 4.17.20 → 4.17.21: run `yarn up lodash@4.17.21`"},
		{"pnpm-lock.yaml", "lodash", "4.17.20", "4.17.21", "run `pnpm update lodash@4.17.21`"},
		{"poetry.lock", "django", "3.2.0", "3.2.25", "run `poetry add django@3.2.25`"},
		{"uv.lock", "django", "3.2.0", "3.2.25", "run `uv lock --upgrade-package django==3.2.25`"},
		{"Pipfile.lock", "django", "3.2.0", "3.2.25", "run `pipenv install django==3.2.25`"},
		{"Gemfile.lock", "rack", "2.2.3", "2.2.8", "run `bundle update rack --conservative` after allowing 2.2.8 in the Gemfile"},
		{"composer.lock", "guzzlehttp/guzzle", "7.4.0", "7.4.5", "run `composer update guzzlehttp/guzzle --with=guzzlehttp/guzzle:7.4.5`"},
		{"gradle.lockfile", "org.yaml:snakeyaml", "1.33", "2.0", "raise org.yaml:snakeyaml to 2.0 in the build script and run `gradle dependencies --write-locks`"},
		{"packages.lock.json", "Newtonsoft.Json", "12.0.1", "13.0.1", "run `dotnet add package Newtonsoft.Json --version 13.0.1` and `dotnet restore --force-evaluate`"},
		{"Cargo.lock", "time", "0.1.43", "0.1.45", "run `cargo update -p time@0.1.43 --precise 0.1.45`"},
		{"pom.xml", "org.apache.logging.log4j:log4j-core", "2.14.1", "2.17.1", "<groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>2.17.1</version>"},
	} {
		line := 0
		if strings.HasSuffix(c.manifest, "yarn.lock") {
			line = 7
		}
		got := manualInstruction(Change{Manifest: c.manifest, Line: line, Name: c.name, From: c.from, To: c.to})
		if !strings.Contains(got, c.want) {
			t.Errorf("%s: %q lacks %q", c.manifest, got, c.want)
		}
	}
}
