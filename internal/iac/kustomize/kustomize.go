// Package kustomize reads Kustomize overlays into the input of the
// kubernetes policies. A kustomization (kustomization.yaml,
// kustomization.yml or Kustomization) that no other kustomization of the
// tree uses as a base is built with sigs.k8s.io/kustomize/api, the way
// 'kustomize build' does, on an in-memory copy of the files it may read
// (its directory and the local bases it names, recursively): resources,
// bases, components, strategic-merge and JSON 6902 patches. Remote bases
// are never fetched: a warning names them and the build goes on without
// them. Every built object is one document of input "kubernetes", located
// in the file it came from (the base's manifest), at the line of the
// attribute there, or of the object when a patch added the attribute.
//
// A base used by an overlay is built as part of the overlay only, and
// the manifests a kustomization lists are not also read as plain
// manifests (kubernetes.KustomizeOwned): one object, one finding.
package kustomize

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/airlock-sec/airlock/internal/iac"
	"github.com/airlock-sec/airlock/internal/iac/kubernetes"
)

// Limits on the files one build copies.
const (
	MaxFiles = 5000
	MaxBytes = 64 << 20
)

// Parser reads kustomizations.
type Parser struct{}

// New returns the parser.
func New() *Parser { return &Parser{} }

// Name implements iac.Parser.
func (*Parser) Name() string { return "kustomize" }

// FileRequired implements iac.Parser.
func (*Parser) FileRequired(p string) bool { return kubernetes.IsKustomization(p) }

// Parse implements iac.Parser.
func (*Parser) Parse(ctx context.Context, in *iac.Input) ([]*iac.Document, []iac.Problem) {
	var docs []*iac.Document
	var probs []iac.Problem
	used := map[string]bool{}
	for _, f := range in.Files {
		k, err := kubernetes.ReadKustomization(f.Content)
		if err != nil {
			continue
		}
		dir := path.Dir(f.Path)
		for _, r := range k.Dirs {
			if !remote(r) {
				used[path.Join(dir, r)] = true
			}
		}
	}
	for _, f := range in.Files {
		if ctx.Err() != nil {
			break
		}
		dir := path.Dir(f.Path)
		if used[dir] {
			continue
		}
		ds, ps := build(in, f)
		docs = append(docs, ds...)
		probs = append(probs, ps...)
	}
	return docs, probs
}

func remote(r string) bool {
	return strings.Contains(r, "://") || strings.HasPrefix(r, "git@") || strings.Contains(r, "?ref=") ||
		strings.HasPrefix(r, "github.com/") || strings.HasPrefix(r, "gitlab.com/")
}

const root = "/tree"

// build builds the kustomization f on a copy of the files it may read.
func build(in *iac.Input, f iac.File) (docs []*iac.Document, probs []iac.Problem) {
	defer func() {
		if r := recover(); r != nil {
			docs, probs = nil, []iac.Problem{iac.Errorf(f.Path, 0, "not built: kustomize failed: %v", r)}
		}
	}()
	fs := filesys.MakeFsInMemory()
	c := &copier{in: in, fs: fs, done: map[string]bool{}}
	if err := c.dir(path.Dir(f.Path), f, &probs); err != nil {
		return nil, append(probs, iac.Errorf(f.Path, 0, "not built: %v", err))
	}
	opts := krusty.MakeDefaultOptions()
	m, err := krusty.MakeKustomizer(opts).Run(fs, path.Join(root, path.Dir(f.Path)))
	if err != nil {
		return nil, append(probs, iac.Errorf(f.Path, 0, "not built: %v", strings.ReplaceAll(err.Error(), root+"/", "")))
	}
	out, err := m.AsYaml()
	if err != nil {
		return nil, append(probs, iac.Errorf(f.Path, 0, "not built: %v", err))
	}
	built, err := kubernetes.Parse(f.Path, out)
	if err != nil {
		return nil, append(probs, iac.Errorf(f.Path, 0, "built objects not read: %v", err))
	}
	// The patches and source manifests are read from the copy the build
	// read, not from the tree again.
	read := func(p string) ([]byte, error) { return fs.ReadFile(path.Join(root, p)) }
	var patches []patch
	for _, kf := range c.kfiles {
		patches = append(patches, readPatches(read, kf.Path, kf.Content)...)
	}
	sources := map[string][]*iac.Document{}
	for _, d := range built {
		src := origin(d.Value.(map[string]any))
		if src != "" {
			src = path.Clean(path.Join(path.Dir(f.Path), src))
		}
		docs = append(docs, locate(read, d, f.Path, src, sources, patches))
	}
	return docs, probs
}

// origin takes the origin annotation kustomize added off the object and
// returns the path it names, relative to the kustomization.
func origin(m map[string]any) string {
	md, _ := m["metadata"].(map[string]any)
	an, _ := md["annotations"].(map[string]any)
	o, _ := an["config.kubernetes.io/origin"].(string)
	delete(an, "config.kubernetes.io/origin")
	if an != nil && len(an) == 0 {
		delete(md, "annotations")
	}
	var v struct {
		Path string `json:"path"`
	}
	if o == "" || yaml.Unmarshal([]byte(o), &v) != nil {
		return ""
	}
	return v.Path
}

// locate gives the built object d the lines of its source object: the
// object of the same kind in src whose name the built name contains (a
// prefix or suffix added), else the first of its kind; each part of d
// lands where the source writes it, or on the nearest part above it the
// source writes (an attribute a patch added lands on the object's
// block). Without a source everything is on the kustomization. A value a
// patch writes (a scalar, or a part the source does not have) lands on
// the patch's line instead: the last patch that writes it, as kustomize
// applies them.
func locate(read func(string) ([]byte, error), d *iac.Document, kfile, src string, cache map[string][]*iac.Document, patches []patch) *iac.Document {
	m := d.Value.(map[string]any)
	resource := kubernetes.ResourceName(m)
	var from *iac.Document
	if src != "" {
		ds, ok := cache[src]
		if !ok {
			if b, err := read(src); err == nil {
				ds, _ = kubernetes.Parse(src, b)
			}
			cache[src] = ds
		}
		kind, _ := m["kind"].(string)
		md, _ := m["metadata"].(map[string]any)
		name, _ := md["name"].(string)
		for _, s := range ds {
			sm := s.Value.(map[string]any)
			if sk, _ := sm["kind"].(string); sk != kind {
				continue
			}
			smd, _ := sm["metadata"].(map[string]any)
			sn, _ := smd["name"].(string)
			if from == nil || (sn != "" && strings.Contains(name, sn)) {
				from = s
			}
		}
	}
	kind, _ := m["kind"].(string)
	md, _ := m["metadata"].(map[string]any)
	name, _ := md["name"].(string)
	var mine []*patch
	for i := range patches {
		if patches[i].applies(kind, name) {
			mine = append(mine, &patches[i])
		}
	}
	idx := iac.Index{}
	walk(d.Value, nil, func(p []any, v any) {
		var n iac.Node
		var bp []any
		if from != nil {
			bp = basePath(d.Value, from.Value, p)
			n = from.Locate(bp)
		} else {
			n = iac.Node{Path: kfile, Start: 1, End: 1}
		}
		_, collection := v.(map[string]any)
		if _, list := v.([]any); list {
			collection = true
		}
		if len(p) > 0 && (!collection || from == nil || !hasKey(from, bp)) {
			for i := len(mine) - 1; i >= 0; i-- {
				if pn, ok := mine[i].locate(d.Value, p); ok {
					n = pn
					break
				}
			}
		}
		n.Resource = ""
		idx.Set(n, p...)
	})
	rootNode := idx[iac.Key()]
	rootNode.Resource = resource
	idx[iac.Key()] = rootNode
	p := kfile
	if from != nil {
		p = from.Path
	}
	return &iac.Document{Input: "kubernetes", Path: p, Value: d.Value, Index: idx}
}

// hasKey reports whether the document writes the part at p itself.
func hasKey(d *iac.Document, p []any) bool {
	_, ok := d.Index[iac.Key(p...)]
	return ok
}

func walk(v any, p []any, fn func([]any, any)) {
	fn(p, v)
	switch c := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(c))
		for k := range c {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walk(c[k], append(p[:len(p):len(p)], k), fn)
		}
	case []any:
		for i, e := range c {
			walk(e, append(p[:len(p):len(p)], i), fn)
		}
	}
}

// copier copies a kustomization's directory and its local bases into
// the in-memory filesystem, with origin annotations turned on in the
// kustomizations and remote bases left out.
type copier struct {
	in    *iac.Input
	fs    filesys.FileSystem
	done  map[string]bool
	files int
	bytes int
	// kfiles are the kustomizations copied, as written in the tree,
	// bases before the overlays that use them (the order their patches
	// apply in).
	kfiles []iac.File
}

// dir copies the directory d (a kustomization's, k its file when known)
// and the directories its kustomization names.
func (c *copier) dir(d string, k iac.File, probs *[]iac.Problem) error {
	if c.done[d] {
		return nil
	}
	c.done[d] = true
	if c.in.ReadDir == nil || c.in.ReadFile == nil {
		return fmt.Errorf("the tree cannot be read")
	}
	if err := c.walk(d, 0); err != nil {
		return err
	}
	kpath := k.Path
	if kpath == "" {
		for _, n := range kubernetes.KustomizationNames {
			if _, err := c.in.ReadFile(path.Join(d, n)); err == nil {
				kpath = path.Join(d, n)
				break
			}
		}
		if kpath == "" {
			return nil // a directory of manifests: kustomize says so
		}
	}
	content, err := c.in.ReadFile(kpath)
	if err != nil {
		return err
	}
	var raw map[string]any
	if err := yaml.Unmarshal(content, &raw); err != nil || raw == nil {
		return nil // kustomize names the error
	}
	for _, field := range []string{"resources", "bases", "components"} {
		list, _ := raw[field].([]any)
		var keep []any
		for _, e := range list {
			s, _ := e.(string)
			if remote(s) {
				*probs = append(*probs, iac.Problem{Level: iac.LevelWarning, Path: kpath, Line: lineOf(content, s),
					Message: fmt.Sprintf("remote base %q is never fetched: the kustomization is built without it", s)})
				continue
			}
			if s != "" {
				// An entry that is not in the tree is never handed to
				// kustomize, which would take it for a remote repository
				// and run git.
				sub := path.Clean(path.Join(d, s))
				_, ferr := c.in.ReadFile(sub)
				_, derr := c.in.ReadDir(sub)
				if strings.HasPrefix(sub, "../") || sub == ".." || (ferr != nil && derr != nil) {
					*probs = append(*probs, iac.Errorf(kpath, lineOf(content, s), "%s entry %q is not in the repository: the kustomization is built without it", field, s))
					continue
				}
				if derr == nil {
					if err := c.dir(sub, iac.File{}, probs); err != nil {
						return err
					}
				}
			}
			keep = append(keep, e)
		}
		if list != nil {
			raw[field] = keep
		}
	}
	if k.Path != "" {
		raw["buildMetadata"] = []any{"originAnnotations"}
	}
	fixDeprecated(raw)
	c.kfiles = append(c.kfiles, iac.File{Path: kpath, Content: content})
	b, err := yaml.Marshal(raw)
	if err != nil {
		return err
	}
	return c.fs.WriteFile(path.Join(root, kpath), b)
}

func (c *copier) walk(d string, depth int) error {
	if depth > 32 {
		return fmt.Errorf("%s: directories nested more than 32 deep", d)
	}
	names, err := c.in.ReadDir(d)
	if err != nil {
		return err
	}
	if err := c.fs.MkdirAll(path.Join(root, d)); err != nil {
		return err
	}
	for _, n := range names {
		p := path.Join(d, n)
		if n == ".git" {
			continue
		}
		if _, err := c.in.ReadDir(p); err == nil {
			// Subdirectories are copied for file references
			// (resources: [deploy/app.yaml]); they may be bases too.
			if err := c.walk(p, depth+1); err != nil {
				return err
			}
			continue
		}
		b, err := c.in.ReadFile(p)
		if err != nil {
			continue // too large or unreadable: kustomize reports it missing if it is needed
		}
		c.files++
		c.bytes += len(b)
		if c.files > MaxFiles || c.bytes > MaxBytes {
			return fmt.Errorf("more than %d files or %d bytes to copy", MaxFiles, MaxBytes)
		}
		if err := c.fs.WriteFile(path.Join(root, p), b); err != nil {
			return err
		}
	}
	return nil
}

func lineOf(content []byte, s string) int {
	for i, l := range strings.Split(string(content), "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	return 0
}

// fixDeprecated moves a kustomization's deprecated fields to the ones
// that replace them, as 'kustomize edit fix' does, in the copy that is
// built: kustomize would otherwise print a warning for each straight to
// the process's standard error (into the server's JSON log). The order
// patches apply in is kept: strategic-merge patches before the entries
// of patches, JSON 6902 patches after them. vars has no equivalent and is
// left (kustomize still warns about it).
func fixDeprecated(raw map[string]any) {
	list := func(k string) []any {
		l, _ := raw[k].([]any)
		return l
	}
	if b := list("bases"); len(b) > 0 {
		raw["resources"] = append(list("resources"), b...)
	}
	delete(raw, "bases")
	if it := list("imageTags"); len(it) > 0 {
		raw["images"] = append(list("images"), it...)
	}
	delete(raw, "imageTags")
	var patches []any
	for _, e := range list("patchesStrategicMerge") {
		if p, ok := e.(string); ok {
			if strings.Contains(p, "\n") {
				patches = append(patches, map[string]any{"patch": p})
			} else {
				patches = append(patches, map[string]any{"path": p})
			}
		}
	}
	patches = append(patches, list("patches")...)
	for _, e := range list("patchesJson6902") {
		if m, ok := e.(map[string]any); ok {
			patches = append(patches, m)
		}
	}
	if len(patches) > 0 {
		raw["patches"] = patches
	}
	delete(raw, "patchesStrategicMerge")
	delete(raw, "patchesJson6902")
	if cl, ok := raw["commonLabels"].(map[string]any); ok && len(cl) > 0 {
		raw["labels"] = append(list("labels"), map[string]any{"pairs": cl, "includeSelectors": true})
	}
	delete(raw, "commonLabels")
}
