package iacscan_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/airlock-sec/airlock/internal/analyzer"
	"github.com/airlock-sec/airlock/internal/analyzer/iacscan"
	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/iac"
	"github.com/airlock-sec/airlock/internal/iac/policies"
	"github.com/airlock-sec/airlock/internal/scan"
)

func write(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func run(t *testing.T, root string, c iacscan.Config) *scan.Result {
	t.Helper()
	res, err := scan.Run(context.Background(), root, scan.Options{Analyzers: []analyzer.Analyzer{iacscan.New(c)}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

type got struct {
	ID, Where, Resource, Attribute, Ignored string
}

func summarize(fs []finding.Finding) []got {
	var out []got
	for _, f := range fs {
		g := got{ID: f.ID, Where: f.Location.Path + ":" + itoa(f.Location.StartLine), Resource: f.IaC.Resource, Attribute: f.IaC.Attribute}
		if f.Ignored != nil {
			g.Ignored = f.Ignored.Reason + " @ " + f.Ignored.Source
		}
		out = append(out, g)
	}
	return out
}

func itoa(n int) string {
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	if s == "" {
		return "0"
	}
	return s
}

// TestDockerfileFindingsAndSuppression: findings at the lines to edit,
// with the stage and the attribute; an inline marker with a reason on or
// above the line suppresses one id; a marker without a reason is not
// applied and says so; a file that cannot be parsed is an error notice
// at its line, and the other files are still scanned.
func TestDockerfileFindingsAndSuppression(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{
		"app/Dockerfile": `FROM node:20-alpine AS build
# airlock:ignore DF019 the cache is removed by the base image
RUN apk add git
# airlock:ignore DF010
FROM nginx:latest
HEALTHCHECK CMD curl -f http://localhost/
USER root # comments here are arguments, so markers go above
EXPOSE 22
`,
		"broken/Dockerfile": "FROM alpine:3.20\nRUN <<EOF\necho\n",
		"docs/README.md":    "FROM ubuntu\n",
	})
	res := run(t, root, iacscan.Config{})
	want := []got{
		{ID: "DF002", Where: "app/Dockerfile:7", Resource: "stage 1", Attribute: "USER"},
		{ID: "DF010", Where: "app/Dockerfile:5", Resource: "stage 1", Attribute: "FROM"},
		{ID: "DF015", Where: "app/Dockerfile:8", Resource: "stage 1", Attribute: "EXPOSE"},
		{ID: "DF019", Where: "app/Dockerfile:3", Resource: "stage build", Attribute: "RUN", Ignored: "the cache is removed by the base image @ app/Dockerfile:2"},
	}
	if diff := cmp.Diff(want, summarize(res.Findings)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	var notices []string
	for _, n := range res.Notices {
		if n.Level != analyzer.NoticeInfo {
			notices = append(notices, string(n.Level)+" "+n.Where()+" "+n.Message)
		}
	}
	wantNotices := []string{
		"error broken/Dockerfile:2 not read as a Dockerfile: unterminated heredoc",
		"warning app/Dockerfile:5 airlock:ignore DF010 has no reason, so it is not applied: say why (airlock:ignore DF010 <reason>)",
	}
	if diff := cmp.Diff(wantNotices, notices); diff != "" {
		t.Errorf("notices (-want +got):\n%s", diff)
	}
	if res.Incomplete() != 1 {
		t.Errorf("Incomplete() = %d, want 1", res.Incomplete())
	}
}

// TestFingerprintsSurviveLineMoves: the same findings after lines are
// added above them keep their fingerprints; two findings of one policy
// on one resource and attribute still differ.
func TestFingerprintsSurviveLineMoves(t *testing.T) {
	body := "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl\nRUN apt-get update && apt-get install -y --no-install-recommends git\n"
	a, b := t.TempDir(), t.TempDir()
	write(t, a, map[string]string{"Dockerfile": body})
	write(t, b, map[string]string{"Dockerfile": "# syntax=docker/dockerfile:1\n\n# a comment\n" + body})
	fa, fb := run(t, a, iacscan.Config{}).Findings, run(t, b, iacscan.Config{}).Findings
	fps := func(fs []finding.Finding) map[string]bool {
		m := map[string]bool{}
		for _, f := range fs {
			m[f.Fingerprint] = true
		}
		return m
	}
	if len(fps(fa)) != len(fa) {
		t.Errorf("fingerprints repeat: %+v", summarize(fa))
	}
	if diff := cmp.Diff(fps(fa), fps(fb)); diff != "" {
		t.Errorf("fingerprints moved with the lines (-before +after):\n%s", diff)
	}
	if fa[0].Location.StartLine+3 != fb[0].Location.StartLine {
		t.Errorf("lines: %d then %d", fa[0].Location.StartLine, fb[0].Location.StartLine)
	}
}

// TestCustomPolicies: the user's policies run beside the embedded ones,
// or alone; their findings are marked custom.
func TestCustomPolicies(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{"Dockerfile": "FROM alpine:3.20\nMAINTAINER someone@example.com\n"})
	set, err := iac.Compile(context.Background(), []iac.Source{{Name: "mine.rego", Text: `# METADATA
# title: MAINTAINER is deprecated
# custom:
#   id: ACME001
#   severity: low
package airlock.dockerfile.acme001

deny contains {"msg": "MAINTAINER is deprecated: use a LABEL", "path": ["stages", i, "commands", j], "attribute": "MAINTAINER"} if {
	some i, j
	input.stages[i].commands[j].cmd == "maintainer"
}
`}}, true)
	if err != nil {
		t.Fatal(err)
	}
	only := run(t, root, iacscan.Config{Policies: set, PoliciesOnly: true}).Findings
	if diff := cmp.Diff([]got{{ID: "ACME001", Where: "Dockerfile:2", Resource: "stage 0", Attribute: "MAINTAINER"}}, summarize(only)); diff != "" {
		t.Errorf("--iac-policies-only (-want +got):\n%s", diff)
	}
	if !only[0].IaC.Custom || !strings.HasPrefix(only[0].Description, "MAINTAINER is deprecated: use a LABEL.") {
		t.Errorf("custom finding: %+v %+v", only[0], only[0].IaC)
	}
	both := run(t, root, iacscan.Config{Policies: set}).Findings
	ids := map[string]bool{}
	for _, f := range both {
		ids[f.ID] = true
	}
	if !ids["ACME001"] || !ids["DF001"] {
		t.Errorf("with the embedded policies: %v", ids)
	}
}

// TestLargeFile: a file over the limit is an error notice, never read.
func TestLargeFile(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{"Dockerfile": "FROM alpine:3.20\n" + strings.Repeat("RUN true\n", 200)})
	res := run(t, root, iacscan.Config{MaxFileSize: 100})
	if len(res.Findings) != 0 || res.Incomplete() != 1 || !strings.Contains(res.Notices[0].Message, "over the limit") {
		t.Errorf("findings %v, notices %+v", summarize(res.Findings), res.Notices)
	}
}

func policiesBuiltin() (*iac.Set, error) { return policies.Builtin() }

// TestTimingNotice: the scan says, per input type read, how many files
// and documents it had and how long their parse and evaluation took.
func TestTimingNotice(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{
		"Dockerfile":     "FROM alpine:3.20\nRUN apk add curl\n",
		"svc/Dockerfile": "FROM alpine:3.20\nUSER 1000\n",
		"main.tf":        "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"b\"\n}\n",
		// A kustomization's manifests are kubernetes documents, timed as
		// the kustomization's (the kubernetes parser leaves its resource
		// to it).
		"overlay/kustomization.yaml": "resources:\n- pod.yaml\n",
		"overlay/pod.yaml":           "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: web\n    image: nginx:1.27\n",
	})
	res := run(t, root, iacscan.Config{})
	var timing string
	for _, n := range res.Notices {
		if n.Level == analyzer.NoticeInfo && strings.HasPrefix(n.Message, "iac time: ") {
			timing = n.Message
		}
	}
	re := regexp.MustCompile(`^iac time: embedded policies compiled in [0-9.]+ ms; ` +
		`dockerfile 2 files, 2 documents, parse [0-9.]+ ms, evaluate [0-9.]+ ms; ` +
		`terraform 1 file, 1 document, parse [0-9.]+ ms, evaluate [0-9.]+ ms; ` +
		`kubernetes 1 file, 0 documents, parse [0-9.]+ ms, evaluate 0.0 ms; ` +
		`kustomize 1 file, 1 document, parse [0-9.]+ ms, evaluate [0-9.]+ ms$`)
	if !re.MatchString(timing) {
		t.Errorf("timing notice %q does not match %s", timing, re)
	}
	// Every input type with documents spent time evaluating them.
	for _, m := range regexp.MustCompile(`(\w+) \d+ files?, [1-9]\d* documents?, parse [0-9.]+ ms, evaluate ([0-9.]+) ms`).FindAllStringSubmatch(timing, -1) {
		if m[2] == "0.0" {
			t.Errorf("%s: its documents' evaluation not counted: %q", m[1], timing)
		}
	}
}
