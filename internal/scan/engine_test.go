package scan

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/airlock-sec/airlock/internal/analyzer"
	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory/list"
)

// probe is an analyzer for the engine's tests: it wants files by name
// suffix and, as a ContentSniffer, YAML files whose start says kind:
// Deployment; it reports one finding per file it was given.
type probe struct {
	name  string
	needs []analyzer.Need
	mu    sync.Mutex
	got   *analyzer.Input
}

func (p *probe) Name() string                  { return p.name }
func (p *probe) Needs() []analyzer.Need        { return p.needs }
func (p *probe) FileRequired(path string) bool { return strings.HasSuffix(path, ".tf") }
func (p *probe) MaySniff(path string) bool     { return strings.HasSuffix(path, ".yaml") }
func (p *probe) ContentRequired(_ string, head []byte) bool {
	return strings.Contains(string(head), "kind: Deployment")
}

func (p *probe) Analyze(_ context.Context, in *analyzer.Input) (*analyzer.Output, error) {
	p.mu.Lock()
	p.got = in
	p.mu.Unlock()
	out := &analyzer.Output{}
	for _, f := range in.Files {
		out.Findings = append(out.Findings, finding.Finding{Kind: "iac", ID: p.name + "-rule", Severity: finding.Low,
			Location: finding.Location{Path: f}, Fingerprint: p.name + ":" + f})
	}
	in.Progress(analyzer.Progress{Stage: p.name, Done: len(in.Files), Total: len(in.Files)})
	return out, nil
}

// TestEngineHandsFilesByNameAndContent: an analyzer gets the files it
// wants by name and those it wants by their content, once, in path order,
// with the repository configuration and the environment; packages are not
// extracted when no analyzer needs them.
func TestEngineHandsFilesByNameAndContent(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{
		"main.tf":            "resource x {}\n",
		"k8s/deploy.yaml":    "apiVersion: apps/v1\nkind: Deployment\n",
		"k8s/values.yaml":    "replicas: 3\n",
		"requirements.txt":   "demo==1.0\n",
		".airlock.yaml":      "version: 1\n",
		"ignored/.gitignore": "*\n",
	})
	p := &probe{name: "probe"}
	h := &stageRecorder{stages: map[string]bool{}}
	err := Stream(context.Background(), root, Options{Analyzers: []analyzer.Analyzer{p}, Extractors: list.All()}, h)
	res, stages := h.Result(), h.stages
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"k8s/deploy.yaml", "main.tf"}, p.got.Files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if p.got.Repo == nil || p.got.Repo.Policy == nil || p.got.Env == nil || p.got.Tree == nil {
		t.Errorf("input lacks the repository configuration, the environment or the tree: %+v", p.got)
	}
	if len(res.Manifests) != 0 {
		t.Errorf("packages extracted for an analyzer that does not need them: %+v", res.Manifests)
	}
	if len(res.Findings) != 2 {
		t.Errorf("findings %+v", res.Findings)
	}
	if !stages["walk"] || !stages["probe"] || stages["extract"] {
		t.Errorf("progress stages %v: want walk and probe, no extract", stages)
	}
}

// stageRecorder collects a scan and the stages its progress named.
type stageRecorder struct {
	Collector
	stages map[string]bool
}

func (s *stageRecorder) Progress(p Progress) error {
	s.stages[p.Stage] = true
	return nil
}

// TestEngineExtractsOnceForAllThatNeedPackages: two analyzers that need
// packages see the same manifests, extracted once.
func TestEngineExtractsOnceForAllThatNeedPackages(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{"requirements.txt": "demo==1.0\n"})
	a := &probe{name: "a", needs: []analyzer.Need{analyzer.NeedPackages}}
	b := &probe{name: "b", needs: []analyzer.Need{analyzer.NeedPackages}}
	res, err := Run(context.Background(), root, Options{Analyzers: []analyzer.Analyzer{a, b}, Extractors: list.All()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Manifests) != 1 || len(a.got.Manifests) != 1 || len(b.got.Manifests) != 1 || &a.got.Manifests[0] != &b.got.Manifests[0] {
		t.Errorf("manifests: result %d, a %d, b %d (want the same one)", len(res.Manifests), len(a.got.Manifests), len(b.got.Manifests))
	}
}

// TestSelect: explicit names run exactly those, and one whose needs are
// not met is an error saying why; by default what cannot run is skipped
// with a notice saying why.
func TestSelect(t *testing.T) {
	vulnish := &probe{name: "vuln", needs: []analyzer.Need{analyzer.NeedPackages, analyzer.NeedVulnData}}
	plain := &probe{name: "secret"}
	all := []analyzer.Analyzer{vulnish, plain}
	noData := &analyzer.Env{VulnDBErr: errors.New("no vulnerability database at /x: import OSV data first")}

	got, notices, err := Select(nil, all, noData)
	if err != nil || len(got) != 1 || got[0].Name() != "secret" {
		t.Fatalf("default: %v %v", got, err)
	}
	if len(notices) != 1 || notices[0].Level != NoticeWarning || !strings.Contains(notices[0].Message, "dependency scanning skipped: no vulnerability database at /x") {
		t.Errorf("default notices %+v", notices)
	}
	if _, _, err := Select([]string{"vuln"}, all, noData); err == nil || !strings.Contains(err.Error(), "no vulnerability database at /x") {
		t.Errorf("explicit vuln without data: %v", err)
	}
	if _, _, err := Select([]string{"iac"}, all, noData); err == nil || !strings.Contains(err.Error(), `unknown scanner "iac": available: vuln, secret`) {
		t.Errorf("unknown: %v", err)
	}
	withData := &analyzer.Env{VulnDB: fakeDB{}}
	if got, notices, err := Select(nil, all, withData); err != nil || len(got) != 2 || len(notices) != 0 {
		t.Errorf("with data: %v %v %v", got, notices, err)
	}
	if got, _, _ := Select([]string{"secret"}, all, withData); len(got) != 1 || got[0].Name() != "secret" {
		t.Errorf("explicit secret: %v", got)
	}
}
