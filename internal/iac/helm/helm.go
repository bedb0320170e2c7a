// Package helm reads Helm charts into the input of the kubernetes
// policies. A directory holding Chart.yaml is loaded with the Helm
// library's chart loader and rendered with its values.yaml by the Helm
// library's template engine (helm.sh/helm/v4: what 'helm template' does,
// offline: no dependency is downloaded, vendored subcharts under charts/
// are rendered with their parent, a dependency that is not there is a
// warning naming Chart.yaml). Every rendered object is one document of
// input "kubernetes", so the kubernetes policies read it as they read a
// manifest, located in the template it came from (see Map).
package helm

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	chartutil "helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/loader/archive"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartv2util "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"

	"github.com/airlock-sec/airlock/internal/iac"
	"github.com/airlock-sec/airlock/internal/iac/kubernetes"
)

// Limits on one chart's files.
const (
	MaxChartFiles = 5000
	MaxChartBytes = 64 << 20
)

// ReleaseName and ReleaseNamespace are the release the charts are
// rendered as.
const (
	ReleaseName      = "release"
	ReleaseNamespace = "default"
)

// Parser reads Helm charts.
type Parser struct{}

// New returns the parser.
func New() *Parser { return &Parser{} }

// Name implements iac.Parser.
func (*Parser) Name() string { return "helm" }

// FileRequired implements iac.Parser: a chart is claimed by its
// Chart.yaml; the parser reads the rest of the chart's directory itself.
func (*Parser) FileRequired(p string) bool { return path.Base(p) == "Chart.yaml" }

// Parse implements iac.Parser: the objects of every chart, rendered. A
// Chart.yaml inside another chart of the tree (a vendored subchart) is
// rendered with that chart, not on its own.
func (*Parser) Parse(ctx context.Context, in *iac.Input) ([]*iac.Document, []iac.Problem) {
	var docs []*iac.Document
	var probs []iac.Problem
	for _, f := range in.Files {
		if ctx.Err() != nil {
			break
		}
		dir := path.Dir(f.Path)
		if dir != "." && kubernetes.ChartRoot(in.ReadFile, path.Dir(dir)) != "" {
			continue
		}
		files, err := chartFiles(in, dir, f)
		if err != nil {
			probs = append(probs, iac.Errorf(f.Path, 0, "chart not read: %v", err))
			continue
		}
		ds, ps := Render(ctx, dir, files)
		docs = append(docs, ds...)
		probs = append(probs, ps...)
	}
	return docs, probs
}

// chartFiles reads the files of the chart in dir, by their path relative
// to dir; Chart.yaml is f.
func chartFiles(in *iac.Input, dir string, f iac.File) (map[string][]byte, error) {
	out := map[string][]byte{"Chart.yaml": f.Content}
	if in.ReadDir == nil || in.ReadFile == nil {
		return out, nil
	}
	size := len(f.Content)
	var walk func(rel string, depth int) error
	walk = func(rel string, depth int) error {
		if depth > 32 {
			return fmt.Errorf("%s: directories nested more than 32 deep", path.Join(dir, rel))
		}
		names, err := in.ReadDir(path.Join(dir, rel))
		if err != nil {
			return err
		}
		sort.Strings(names)
		for _, n := range names {
			r := path.Join(rel, n)
			if r == "Chart.yaml" || n == ".git" {
				continue
			}
			if _, err := in.ReadDir(path.Join(dir, r)); err == nil {
				if err := walk(r, depth+1); err != nil {
					return err
				}
				continue
			}
			b, err := in.ReadFile(path.Join(dir, r))
			if err != nil {
				return fmt.Errorf("%s: %v", path.Join(dir, r), err)
			}
			size += len(b)
			if len(out) >= MaxChartFiles || size > MaxChartBytes {
				return fmt.Errorf("more than %d files or %d bytes", MaxChartFiles, MaxChartBytes)
			}
			out[r] = b
		}
		return nil
	}
	if err := walk(".", 0); err != nil {
		return nil, err
	}
	return out, nil
}

// Render loads the chart whose files (by path relative to dir, the
// chart's directory in the tree) are given, renders it with its
// values.yaml, and returns its objects located in their templates.
// Problems name the file and line: Chart.yaml for a chart that does not
// load or lacks a dependency, the template for a template that does not
// render.
func Render(ctx context.Context, dir string, files map[string][]byte) (docs []*iac.Document, probs []iac.Problem) {
	chartFile := path.Join(dir, "Chart.yaml")
	defer func() {
		if r := recover(); r != nil {
			docs, probs = nil, []iac.Problem{iac.Errorf(chartFile, 0, "chart not rendered: the Helm library failed: %v", r)}
		}
	}()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var bf []*archive.BufferedFile
	for _, n := range names {
		bf = append(bf, &archive.BufferedFile{Name: n, Data: files[n]})
	}
	ch, err := loader.LoadFiles(bf)
	if err != nil {
		return nil, []iac.Problem{loadProblem(dir, err)}
	}
	probs = append(probs, missingDependencies(chartFile, files["Chart.yaml"], ch)...)
	if err := chartv2util.ProcessDependencies(ch, map[string]any{}); err != nil {
		return nil, append(probs, iac.Errorf(chartFile, 0, "chart not rendered: dependencies: %v", err))
	}
	opts := common.ReleaseOptions{Name: ReleaseName, Namespace: ReleaseNamespace, Revision: 1, IsInstall: true}
	top, err := chartutil.ToRenderValues(ch, map[string]any{}, opts, nil)
	if err != nil {
		return nil, append(probs, iac.Errorf(path.Join(dir, "values.yaml"), 0, "chart not rendered: values: %v", err))
	}
	out, err := engine.Engine{}.RenderWithContext(ctx, ch, top)
	if err != nil {
		return nil, append(probs, renderProblem(dir, ch.Name(), err))
	}
	rendered := make([]string, 0, len(out))
	for n := range out {
		rendered = append(rendered, n)
	}
	sort.Strings(rendered)
	for _, n := range rendered {
		text := out[n]
		base := path.Base(n)
		if strings.TrimSpace(text) == "" || strings.HasPrefix(base, "_") || !isManifest(base) {
			continue
		}
		src := treePath(dir, ch.Name(), n)
		tmpl, ok := files[strings.TrimPrefix(src, dir+"/")]
		if dir == "." {
			tmpl, ok = files[src]
		}
		if !ok {
			// A template of a packed subchart (charts/x.tgz): no file of
			// the tree to point into but its Chart.yaml.
			src, tmpl = chartFile, nil
		}
		ds, err := kubernetes.Parse(src, []byte(text))
		if err != nil {
			probs = append(probs, iac.Errorf(src, 0, "rendered template not read as a Kubernetes manifest: %v", err))
		}
		Map(ds, src, tmpl)
		docs = append(docs, ds...)
	}
	for _, crd := range ch.CRDObjects() {
		p := treePath(dir, ch.Name(), crd.Filename)
		ds, err := kubernetes.Parse(p, crd.File.Data)
		if err != nil {
			probs = append(probs, iac.Errorf(p, 0, "not read as a Kubernetes manifest: %v", err))
		}
		docs = append(docs, ds...)
	}
	return docs, probs
}

func isManifest(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// treePath turns a rendered template's name ("web/templates/x.yaml",
// "web/charts/db/templates/y.yaml") into its path in the tree.
func treePath(dir, chartName, name string) string {
	rel := strings.TrimPrefix(name, chartName+"/")
	return path.Join(dir, rel)
}

// missingDependencies names the dependencies Chart.yaml declares that
// are not vendored under charts/: they are not downloaded, so the chart
// renders without them.
func missingDependencies(chartFile string, content []byte, ch *chart.Chart) []iac.Problem {
	if ch.Metadata == nil {
		return nil
	}
	have := map[string]bool{}
	for _, d := range ch.Dependencies() {
		have[d.Name()] = true
	}
	var probs []iac.Problem
	for _, d := range ch.Metadata.Dependencies {
		if d == nil || have[d.Name] {
			continue
		}
		where := d.Repository
		if where == "" {
			where = "no repository"
		}
		probs = append(probs, iac.Problem{Level: iac.LevelWarning, Path: chartFile, Line: lineOf(content, "name:", d.Name),
			Message: fmt.Sprintf("dependency %q (%s) is not vendored under charts/ and is never downloaded: the chart is rendered without it", d.Name, where)})
	}
	return probs
}

// lineOf is the first line of content holding both words, 0 when none.
func lineOf(content []byte, a, b string) int {
	for i, l := range strings.Split(string(content), "\n") {
		if strings.Contains(l, a) && strings.Contains(l, b) {
			return i + 1
		}
	}
	return 0
}

var fileLine = regexp.MustCompile(`([A-Za-z0-9_.\-/]+\.(?:yaml|yml|tpl|txt|json)):(\d+)`)

// renderProblem names the template and line a render error is at.
func renderProblem(dir, chartName string, err error) iac.Problem {
	msg := err.Error()
	if m := fileLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[2])
		if strings.HasPrefix(m[1], chartName+"/") {
			return iac.Errorf(treePath(dir, chartName, m[1]), line, "template not rendered: %s", msg)
		}
	}
	return iac.Errorf(path.Join(dir, "Chart.yaml"), 0, "chart not rendered: %s", msg)
}

var yamlErrLine = regexp.MustCompile(`line (\d+)`)

// loadProblem names the file a load error is about: Chart.yaml,
// values.yaml, or another file of the chart the error names.
func loadProblem(dir string, err error) iac.Problem {
	msg := err.Error()
	file := "Chart.yaml"
	for _, f := range []string{"values.yaml", "requirements.yaml", "Chart.lock", "values.schema.json"} {
		if strings.Contains(msg, f) {
			file = f
			break
		}
	}
	line := 0
	if m := yamlErrLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
	}
	var le *iac.LineError
	if errors.As(err, &le) {
		line = le.Line
	}
	return iac.Errorf(path.Join(dir, file), line, "chart not read: %s", msg)
}
