package helm

import (
	"context"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-sec/airlock/internal/iac"
	"github.com/airlock-sec/airlock/internal/iac/kubernetes"
	"github.com/airlock-sec/airlock/internal/iac/policies"
)

// treeInput is what the analyzer gives the parsers for the tree at
// root: the files they claim, and the rest readable.
func treeInput(t testing.TB, root string, claim func(string) bool) *iac.Input {
	t.Helper()
	fsys := os.DirFS(root)
	in := &iac.Input{
		ReadFile: func(p string) ([]byte, error) { return fs.ReadFile(fsys, p) },
		ReadDir: func(p string) ([]string, error) {
			es, err := fs.ReadDir(fsys, p)
			var names []string
			for _, e := range es {
				names = append(names, e.Name())
			}
			return names, err
		},
	}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !claim(p) {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		in.Files = append(in.Files, iac.File{Path: p, Content: b})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

type hit struct {
	id, path string
	line     int
	resource string
}

func scanChart(t *testing.T, root string) ([]hit, []iac.Problem) {
	t.Helper()
	docs, probs := New().Parse(context.Background(), treeInput(t, root, New().FileRequired))
	set, err := policies.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	var hits []hit
	for _, d := range docs {
		if d.Input != "kubernetes" {
			t.Errorf("document of input %q", d.Input)
		}
		rs, err := set.Eval(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			hits = append(hits, hit{r.Policy.ID, r.Node.Path, r.Node.Start, r.Node.Resource})
		}
	}
	return hits, probs
}

// TestChartFindings: the chart of testdata/web rendered with its
// values.yaml (privileged, latest tag, a hostPath volume, a vendored
// subchart with hostNetwork) gives each finding at the template line the
// user edits, with the rendered object's kind/name.
func TestChartFindings(t *testing.T) {
	hits, probs := scanChart(t, "testdata")
	for _, p := range probs {
		t.Errorf("problem: %+v", p)
	}
	want := []hit{
		{"K8S001", "web/templates/deployment.yaml", 23, "Deployment/release-web"},
		{"K8S018", "web/templates/deployment.yaml", 21, "Deployment/release-web"},
		{"K8S013", "web/templates/deployment.yaml", 35, "Deployment/release-web"},
		{"K8S010", "web/charts/cache/templates/pod.yaml", 6, "Pod/release-cache"},
	}
	for _, w := range want {
		found := false
		for _, h := range hits {
			if h == w {
				found = true
			}
		}
		if !found {
			t.Errorf("missing %+v in %+v", w, hits)
		}
	}
	for _, h := range hits {
		if h.path == "web/templates/deployment.yaml" && h.line > 18 && h.line < 20 {
			t.Errorf("finding on the sidecar, which is fine: %+v", h)
		}
		if strings.HasSuffix(h.path, "NOTES.txt") || strings.HasSuffix(h.path, ".tpl") {
			t.Errorf("finding in a file that is not a manifest: %+v", h)
		}
	}
}

func copyChart(t *testing.T, edit map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	err := filepath.WalkDir("testdata/web", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("testdata", p)
		return writeFile(dir, filepath.ToSlash(rel), string(b))
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range edit {
		if body == "" {
			if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := writeFile(dir, name, body); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func writeFile(dir, name, body string) error {
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, []byte(body), 0o644)
}

// TestValuesToggle: values that turn the settings off leave no finding
// for them: the chart is rendered, not read as text.
func TestValuesToggle(t *testing.T) {
	dir := copyChart(t, map[string]string{"web/values.yaml": "image:\n  repository: nginx\n  tag: \"1.27\"\nprivileged: false\nhostData:\n  enabled: false\ncache:\n  enabled: false\n"})
	hits, probs := scanChart(t, dir)
	for _, p := range probs {
		t.Errorf("problem: %+v", p)
	}
	for _, h := range hits {
		switch h.id {
		case "K8S001", "K8S013", "K8S018", "K8S010":
			t.Errorf("finding for a setting turned off: %+v", h)
		}
	}
	if len(hits) == 0 {
		t.Error("no finding at all: the chart was not rendered")
	}
}

// TestMissingDependency: a dependency not vendored is a warning naming
// Chart.yaml and its line; the chart is still rendered.
func TestMissingDependency(t *testing.T) {
	dir := copyChart(t, map[string]string{"web/charts": ""})
	hits, probs := scanChart(t, dir)
	if len(probs) != 1 || probs[0].Path != "web/Chart.yaml" || probs[0].Line != 5 || probs[0].Level != iac.LevelWarning ||
		!strings.Contains(probs[0].Message, `"cache"`) {
		t.Errorf("problems %+v", probs)
	}
	if len(hits) == 0 {
		t.Error("the chart was not rendered")
	}
}

// TestBadCharts: a template that does not parse or execute is an error
// at the template's file and line; a Chart.yaml that is not YAML names
// Chart.yaml; nothing panics.
func TestBadCharts(t *testing.T) {
	for _, c := range []struct {
		name, file, body, wantPath string
		wantLine                   int
	}{
		{"parse", "web/templates/service.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name \n", "web/templates/service.yaml", 5},
		{"exec", "web/templates/service.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n  labels: {{ required \"a label\" .Values.nope }}\n", "web/templates/service.yaml", 5},
		{"chart", "web/Chart.yaml", "apiVersion: v2\nname: [web\n", "web/Chart.yaml", 0},
		{"values", "web/values.yaml", "image: [\n", "web/values.yaml", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := copyChart(t, map[string]string{c.file: c.body})
			_, probs := scanChart(t, dir)
			found := false
			for _, p := range probs {
				if p.Level == iac.LevelError && p.Path == c.wantPath && (c.wantLine == 0 || p.Line == c.wantLine) {
					found = true
				}
			}
			if !found {
				t.Errorf("want an error at %s:%d, got %+v", c.wantPath, c.wantLine, probs)
			}
		})
	}
}

// TestKubernetesSkipsCharts: the kubernetes parser leaves every file of
// a chart alone (a template without "{{" in its head, a subchart's
// files), and still reads manifests beside the chart.
func TestKubernetesSkipsCharts(t *testing.T) {
	dir := copyChart(t, map[string]string{
		"web/templates/static.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: static\n",
		"k8s/app.yaml":              "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n",
	})
	k := kubernetes.New()
	in := treeInput(t, dir, func(p string) bool { return k.MaySniff(p) })
	docs, probs := k.Parse(context.Background(), in)
	if len(probs) != 0 {
		t.Errorf("problems %+v", probs)
	}
	if len(docs) != 1 || docs[0].Path != "k8s/app.yaml" {
		var paths []string
		for _, d := range docs {
			paths = append(paths, d.Path)
		}
		t.Errorf("documents from %v, want k8s/app.yaml only", paths)
	}
	// The static template is the helm parser's: rendered, at its own lines.
	docs, _ = New().Parse(context.Background(), treeInput(t, dir, New().FileRequired))
	seen := false
	for _, d := range docs {
		if d.Locate(nil).Resource == "ConfigMap/static" {
			seen = true
			if n := d.Locate([]any{"metadata", "name"}); n.Path != "web/templates/static.yaml" || n.Start != 4 {
				t.Errorf("static template's name at %s:%d", n.Path, n.Start)
			}
		}
	}
	if !seen {
		t.Error("the static template was not rendered")
	}
}

// TestMapLines: parts of a rendered object land on the template line
// that writes them, list items counted, generated keys on the line that
// generates them.
func TestMapLines(t *testing.T) {
	tmpl := "# comment\n{{- if true }}\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: a\n  {{- range .Values.more }}\n  - name: {{ . }}\n    image: b\n  {{- end }}\n  securityContext:\n    {{- toYaml .Values.sc | nindent 4 }}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n"
	rendered := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: a\n  - name: x\n    image: b\n  - name: y\n    image: b\n  securityContext:\n    runAsUser: 0\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n"
	docs, err := kubernetes.Parse("t.yaml", []byte(rendered))
	if err != nil || len(docs) != 2 {
		t.Fatal(err, len(docs))
	}
	Map(docs, "chart/templates/t.yaml", []byte(tmpl))
	for _, c := range []struct {
		doc  int
		path []any
		line int
	}{
		{0, nil, 3},
		{0, []any{"spec", "containers", 0, "image"}, 10},
		{0, []any{"spec", "containers", 2, "image"}, 13},
		{0, []any{"spec", "containers", 1}, 12},
		{0, []any{"spec", "securityContext", "runAsUser"}, 15},
		{1, []any{"metadata", "name"}, 21},
		{1, nil, 18},
	} {
		n := docs[c.doc].Locate(c.path)
		if n.Start != c.line || n.Path != "chart/templates/t.yaml" {
			t.Errorf("%v: %s:%d, want line %d", c.path, n.Path, n.Start, c.line)
		}
	}
	if r := docs[0].Locate(nil).Resource; r != "Pod/p" {
		t.Errorf("resource %q", r)
	}
}

func FuzzRender(f *testing.F) {
	for _, name := range []string{"values.yaml", "templates/deployment.yaml"} {
		b, err := os.ReadFile(path.Join("testdata/web", name))
		if err != nil {
			f.Fatal(err)
		}
		if name == "values.yaml" {
			f.Add(b, []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Values.image.tag }}\n"))
		} else {
			f.Add([]byte("image:\n  tag: x\nprivileged: true\nhostData:\n  enabled: true\n"), b)
		}
	}
	f.Fuzz(func(t *testing.T, values, tmpl []byte) {
		files := map[string][]byte{
			"Chart.yaml":       []byte("apiVersion: v2\nname: f\nversion: 0.1.0\n"),
			"values.yaml":      values,
			"templates/t.yaml": tmpl,
		}
		docs, probs := Render(context.Background(), "c", files)
		for _, d := range docs {
			if d.Locate(nil).Resource == "" {
				t.Errorf("document without a resource name: %v", d.Value)
			}
			for k, n := range d.Index {
				if n.Start < 1 || n.End < n.Start || n.Path != "c/templates/t.yaml" {
					t.Errorf("%q: %s:%d-%d", k, n.Path, n.Start, n.End)
				}
			}
		}
		for _, p := range probs {
			if !strings.HasPrefix(p.Path, "c/") {
				t.Errorf("problem outside the chart: %+v", p)
			}
		}
	})
}
