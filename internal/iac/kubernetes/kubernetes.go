// Package kubernetes reads Kubernetes manifests into the input of the
// kubernetes policies: one document per object of a multi-document YAML
// file, as written, every key located. Files are claimed by their
// content (apiVersion and kind at the top level), not their name;
// Helm templates (text with "{{") and Kustomize files are left to their
// own parsers.
//
// The input shape (see docs/iac.md) is the object itself:
//
//	{"apiVersion": "apps/v1", "kind": "Deployment",
//	 "metadata": {"name": "web", "namespace": "shop"},
//	 "spec": {"template": {"spec": {"containers": [...]}}}}
//
// The pod spec of a workload is where its kind puts it: spec for a Pod,
// spec.template.spec for a Deployment, StatefulSet, DaemonSet, ReplicaSet,
// Job and ReplicationController, spec.jobTemplate.spec.template.spec for a
// CronJob (PodSpecPath; the policies' helper lib.kubernetes does the same).
package kubernetes

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/airlock-sec/airlock/internal/iac"
)

// Parser reads Kubernetes manifests.
type Parser struct{}

// New returns the parser.
func New() *Parser { return &Parser{} }

// Name implements iac.Parser.
func (*Parser) Name() string { return "kubernetes" }

// FileRequired implements iac.Parser: manifests are claimed by content.
func (*Parser) FileRequired(string) bool { return false }

// MaySniff implements iac.Sniffer: YAML files.
func (*Parser) MaySniff(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".yaml", ".yml":
		return true
	}
	return false
}

var (
	apiVersionLine = regexp.MustCompile(`(?m)^apiVersion:[ \t]*["']?[A-Za-z0-9./-]+`)
	kindLine       = regexp.MustCompile(`(?m)^kind:[ \t]*["']?[A-Za-z]+`)
	kustomizeLine  = regexp.MustCompile(`(?m)^(apiVersion:[ \t]*["']?kustomize\.config\.k8s\.io/|kind:[ \t]*["']?(Kustomization|Component)\b)`)
)

// ContentRequired implements iac.Sniffer: a top-level apiVersion and
// kind, no template markers, not a kustomization.
func (*Parser) ContentRequired(_ string, head []byte) bool {
	return apiVersionLine.Match(head) && kindLine.Match(head) &&
		!bytes.Contains(head, []byte("{{")) && !kustomizeLine.Match(head)
}

// Parse implements iac.Parser: one document per object.
// Files inside a Helm chart (ChartRoot) are left to the helm parser,
// resources and patches of a kustomization (KustomizeOwned) to the
// kustomize parser.
func (*Parser) Parse(ctx context.Context, in *iac.Input) ([]*iac.Document, []iac.Problem) {
	if in.ReadFile != nil {
		charts := map[string]string{}
		kusts := map[string]*Kustomization{}
		own := *in
		own.Files = nil
		for _, f := range in.Files {
			d := path.Dir(f.Path)
			root, ok := charts[d]
			if !ok {
				root = ChartRoot(in.ReadFile, d)
				charts[d] = root
			}
			if root == "" && !KustomizeOwned(in.ReadFile, f.Path, kusts) {
				own.Files = append(own.Files, f)
			}
		}
		in = &own
	}
	return iac.ParseFiles(ctx, in, "a Kubernetes manifest", Parse)
}

// Parse reads the objects of one manifest file. Documents that are not
// objects with a kind are skipped (a stream may hold other YAML); an
// object whose apiVersion, kind or metadata has the wrong type is an
// error at its line. Objects read before an error are returned.
func Parse(file string, content []byte) ([]*iac.Document, error) {
	ys, err := iac.ParseYAML(file, content)
	var docs []*iac.Document
	for _, y := range ys {
		m, ok := y.Value.(map[string]any)
		if !ok {
			continue
		}
		kind, kok := m["kind"].(string)
		_, aok := m["apiVersion"].(string)
		if !kok && !aok {
			continue
		}
		if !kok || !aok || kind == "" {
			field := "kind"
			if kok {
				field = "apiVersion"
			}
			line := y.Start
			if n, ok := y.Index[iac.Key(field)]; ok {
				line = n.Start
			}
			return docs, &iac.LineError{Line: line, Err: fmt.Errorf("field %q: a string is expected beside %s", field, other(field))}
		}
		if md, ok := m["metadata"]; ok && md != nil {
			if _, ok := md.(map[string]any); !ok {
				return docs, &iac.LineError{Line: y.Index[iac.Key("metadata")].Start, Err: errors.New(`field "metadata": a mapping is expected`)}
			}
		}
		root := y.Index[iac.Key()]
		root.Resource = ResourceName(m)
		y.Index[iac.Key()] = root
		docs = append(docs, &iac.Document{Input: "kubernetes", Path: file, Value: m, Index: y.Index})
	}
	return docs, err
}

func other(field string) string {
	if field == "kind" {
		return "apiVersion"
	}
	return "kind"
}

// ResourceName names an object kind/namespace/name, or kind/name when it
// has no namespace written.
func ResourceName(m map[string]any) string {
	kind, _ := m["kind"].(string)
	md, _ := m["metadata"].(map[string]any)
	name, _ := md["name"].(string)
	if name == "" {
		name, _ = md["generateName"].(string)
	}
	if ns, _ := md["namespace"].(string); ns != "" {
		return kind + "/" + ns + "/" + name
	}
	return kind + "/" + name
}

// PodSpecPath is where an object of kind keeps its pod spec; nil for a
// kind without one.
func PodSpecPath(kind string) []any {
	switch kind {
	case "Pod":
		return []any{"spec"}
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController":
		return []any{"spec", "template", "spec"}
	case "CronJob":
		return []any{"spec", "jobTemplate", "spec", "template", "spec"}
	}
	return nil
}

// ChartRoot returns the directory of the outermost Helm chart (a
// directory holding Chart.yaml) at or above the slash-separated dir, ""
// when there is none; read reads a file of the tree ("." is its root).
// Files inside a chart are the helm parser's: its templates are not YAML
// and its values are not objects, so they are not read as manifests, and
// a vendored subchart (charts/x) is rendered with its parent.
func ChartRoot(read func(string) ([]byte, error), dir string) string {
	if read == nil {
		return ""
	}
	root := ""
	for d := path.Clean(dir); ; d = path.Dir(d) {
		if _, err := read(path.Join(d, "Chart.yaml")); err == nil {
			root = d
		}
		if d == "." || d == "/" || d == "" {
			return root
		}
	}
}

// KustomizationNames are the names of a kustomization file, in the order
// kustomize looks for them.
var KustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// IsKustomization reports whether the file at p is a kustomization.
func IsKustomization(p string) bool {
	b := path.Base(p)
	for _, n := range KustomizationNames {
		if b == n {
			return true
		}
	}
	return false
}

// Kustomization is what a kustomization refers to, relative to its
// directory.
type Kustomization struct {
	// Dirs are its resources, bases and components (directories or
	// files: kustomize accepts both in resources).
	Dirs []string
	// Files are its resources and patch files.
	Files []string
}

// ReadKustomization reads what a kustomization file refers to.
func ReadKustomization(content []byte) (*Kustomization, error) {
	ys, err := iac.ParseYAML("kustomization", content)
	if err != nil {
		return nil, err
	}
	if len(ys) == 0 {
		return &Kustomization{}, nil
	}
	m, _ := ys[0].Value.(map[string]any)
	k := &Kustomization{}
	strs := func(field string) []string {
		var out []string
		l, _ := m[field].([]any)
		for _, e := range l {
			switch v := e.(type) {
			case string:
				out = append(out, v)
			case map[string]any:
				if p, ok := v["path"].(string); ok {
					out = append(out, p)
				}
			}
		}
		return out
	}
	for _, f := range []string{"resources", "bases", "components"} {
		k.Dirs = append(k.Dirs, strs(f)...)
	}
	for _, f := range []string{"resources", "patchesStrategicMerge", "patches", "patchesJson6902", "crds"} {
		k.Files = append(k.Files, strs(f)...)
	}
	return k, nil
}

// KustomizeOwned reports whether the file at p is a resource or a patch
// of a kustomization in its directory or one above: it is read as part
// of that kustomization's build (package kustomize), not on its own.
// cache keeps the kustomizations read, by directory.
func KustomizeOwned(read func(string) ([]byte, error), p string, cache map[string]*Kustomization) bool {
	if read == nil {
		return false
	}
	for d := path.Dir(p); ; d = path.Dir(d) {
		k, ok := cache[d]
		if !ok {
			for _, n := range KustomizationNames {
				if b, err := read(path.Join(d, n)); err == nil {
					k, _ = ReadKustomization(b)
					break
				}
			}
			cache[d] = k
		}
		if k != nil {
			for _, f := range k.Files {
				if path.Join(d, f) == p {
					return true
				}
			}
		}
		if d == "." || d == "/" || d == "" {
			return false
		}
	}
}
