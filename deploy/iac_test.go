package deploy

import (
	"context"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/scan"
)

// iacScan is 'airlock scan --scanners iac DIR': the same assembly of the
// analyzer registry the CLI uses.
func iacScan(t *testing.T, dir string) *scan.Result {
	t.Helper()
	o, err := scan.Assemble(scan.Assembly{Names: []string{"iac"}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := scan.Run(context.Background(), dir, o)
	if err != nil {
		t.Fatalf("scan %s: %v", dir, err)
	}
	return res
}

// checkClean fails on any finding that is not ignored, and on an ignored
// one that is high or critical or has no reason: the deployment files
// pass airlock's own scan with low findings only, each ignored inline
// with its reason.
func checkClean(t *testing.T, what string, res *scan.Result) {
	t.Helper()
	for _, f := range res.Findings {
		where := f.Location.Path + ":" + strconv.Itoa(f.Location.StartLine)
		switch {
		case f.Ignored == nil:
			t.Errorf("%s: %s %s at %s: %s", what, f.Severity, f.ID, where, f.Title)
		case f.Severity != finding.Low && f.Severity != finding.Info:
			t.Errorf("%s: %s %s at %s is ignored, but only low findings may be: fix it", what, f.Severity, f.ID, where)
		case strings.TrimSpace(f.Ignored.Reason) == "":
			t.Errorf("%s: %s at %s is ignored without a reason", what, f.ID, where)
		}
	}
	for _, n := range res.Notices {
		if n.Level == scan.NoticeError || n.Level == scan.NoticeWarning {
			t.Errorf("%s: %s %s: %s", what, n.Level, n.Where(), n.Message)
		}
	}
}

// TestChartPassesIaCScan: airlock's IaC scan of the rendered manifests
// of every documented combination, and of the chart's own files, finds
// nothing that is not a low finding ignored inline with its reason.
func TestChartPassesIaCScan(t *testing.T) {
	dir := t.TempDir()
	if n := writeRendered(t, dir); n < 10 {
		t.Fatalf("only %d manifests rendered", n)
	}
	checkClean(t, "rendered chart", iacScan(t, dir))
	res := iacScan(t, chartDir)
	for _, f := range res.Findings {
		if f.Ignored == nil && (f.Severity == finding.High || f.Severity == finding.Critical) {
			t.Errorf("chart source: %s %s at %s:%d: %s", f.Severity, f.ID, f.Location.Path, f.Location.StartLine, f.Title)
		}
	}
}

// TestDockerfilePassesIaCScan: the image's Dockerfile passes airlock's
// own scan; its one low finding (no HEALTHCHECK, on purpose) is ignored
// inline with its reason — and the scan did read the file.
func TestDockerfilePassesIaCScan(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join("..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	res := iacScan(t, dir)
	checkClean(t, "Dockerfile", res)
	ignored := false
	for _, f := range res.Findings {
		if f.ID == "DF009" && f.Ignored != nil {
			ignored = true
		}
	}
	if !ignored {
		t.Errorf("the scan did not see the Dockerfile's inline-ignored DF009 (no HEALTHCHECK): %+v", res.Findings)
	}
	text := string(b)
	for _, want := range []string{"USER 10001:10001", "apk add --no-cache git ca-certificates"} {
		if !strings.Contains(text, want) {
			t.Errorf("the Dockerfile lacks %q", want)
		}
	}
	if strings.Contains(text, "\nHEALTHCHECK") {
		t.Error("the Dockerfile has a HEALTHCHECK; Kubernetes probes do that")
	}
}

// TestDockerfileGoVersion: the build stage's Go is the toolchain go.mod
// names, so the image is built as the tests build.
func TestDockerfileGoVersion(t *testing.T) {
	df, err := os.ReadFile(filepath.Join("..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goLine := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(mod)
	from := regexp.MustCompile(`(?m)^FROM golang:(\d+\.\d+\.\d+)-`).FindSubmatch(df)
	if goLine == nil || from == nil || string(goLine[1]) != string(from[1]) {
		t.Errorf("go.mod says go %q, the Dockerfile builds with golang:%q", goLine, from)
	}
}

// TestDockerfileBuild runs the Dockerfile's build line here, with the same
// command and flags (there is no container engine to run the whole build):
// the binary must be static (the runtime stage has no Go toolchain and
// musl, not glibc) and carry the version given as the build argument.
func TestDockerfileBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the airlock binary")
	}
	df, err := os.ReadFile(filepath.Join("..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^RUN (CGO_ENABLED=0 go build .*-o /out/airlock \./cmd/airlock)$`).FindSubmatch(df)
	if m == nil {
		t.Fatal("the Dockerfile has no 'RUN CGO_ENABLED=0 go build ... -o /out/airlock ./cmd/airlock' line")
	}
	out := filepath.Join(t.TempDir(), "airlock")
	line := strings.ReplaceAll(string(m[1]), "/out/airlock", out)
	cmd := exec.Command("sh", "-c", line)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "VERSION=9.9.9-test")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", line, err, b)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary is dynamically linked (it has an ELF interpreter)")
		}
	}
	if syms, err := f.DynamicSymbols(); err == nil && len(syms) > 0 {
		t.Errorf("the binary imports %d dynamic symbols", len(syms))
	}
	v, err := exec.Command(out, "version").Output()
	if err != nil || strings.TrimSpace(string(v)) != "airlock 9.9.9-test" {
		t.Errorf("airlock version: %q (%v), want the build argument's version", v, err)
	}
}
