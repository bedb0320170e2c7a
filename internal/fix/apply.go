package fix

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/registry"
)

// Applier works out the edits of plans on a tree, without changing it:
// files edited in place in memory, native tools (the go command, npm) run
// in a temporary copy, with a timeout, scripts disabled and no network but
// the mirror. Write then writes the edits.
type Applier struct {
	// Root is the tree's directory.
	Root string
	// Mirror returns the configured mirror of an OSV ecosystem;
	// (*registry.Set).Mirror is one.
	Mirror func(ecosystem string) (registry.Mirror, bool)
	// Registry reads what the edits need from the mirrors (checksums).
	Registry Registry
	// Timeout bounds one run of a native tool (default 5 minutes).
	Timeout time.Duration
	// GoSumDB is GOSUMDB for the go command: "" keeps the environment's
	// (else sum.golang.org, through the proxy); "off" for a site without
	// the checksum database.
	GoSumDB string
	// Env is the environment the tools start from (os.Environ()).
	Env []string
	// MaxCopy bounds the bytes copied for a native tool (default 512 MiB).
	MaxCopy int64
}

// Apply works out a plan's edits: Edits, Diff, Manual and ToolOutput;
// Failed (and no edits) when a tool failed or a change could not be made
// as planned. The error is for a cancelled context only.
func (a *Applier) Apply(ctx context.Context, p *Plan) error {
	p.Edits, p.Diff, p.Manual, p.ToolOutput, p.Failed = nil, "", nil, "", ""
	files := map[string][]byte{} // new content by path
	olds := map[string][]byte{}
	spans := map[string][]spanEdit{}
	byTool := map[string][]Change{} // "go:dir" / "npm:dir"
	var toolKeys []string
	for _, c := range p.Changes {
		if !c.Fixable() {
			continue
		}
		base := path.Base(c.Manifest)
		switch {
		case c.Ecosystem == inventory.Go && base == "go.mod",
			c.Ecosystem == inventory.NPM && (base == "package-lock.json" || base == "npm-shrinkwrap.json"):
			k := strings.ToLower(c.Ecosystem) + ":" + path.Dir(c.Manifest)
			if _, ok := byTool[k]; !ok {
				toolKeys = append(toolKeys, k)
			}
			byTool[k] = append(byTool[k], c)
		case c.Ecosystem == inventory.PyPI && strings.HasPrefix(base, "requirements") || c.Ecosystem == inventory.PyPI && strings.HasSuffix(base, ".txt"):
			if es, manual, err := a.requirementsEdit(ctx, c); err != nil {
				p.Manual = append(p.Manual, err.Error())
			} else if manual != "" {
				p.Manual = append(p.Manual, manual)
			} else {
				spans[c.Manifest] = append(spans[c.Manifest], es...)
			}
		case c.Ecosystem == inventory.Maven && base == "pom.xml":
			es, manual, err := a.mavenEdit(c)
			switch {
			case err != nil:
				p.Manual = append(p.Manual, err.Error())
			case manual != "":
				p.Manual = append(p.Manual, manual)
			default:
				spans[c.Manifest] = append(spans[c.Manifest], es...)
			}
		case c.Ecosystem == inventory.CratesIO && base == "Cargo.lock":
			es, manual, err := a.cargoEdit(ctx, c)
			switch {
			case err != nil:
				p.Manual = append(p.Manual, err.Error())
			case manual != "":
				p.Manual = append(p.Manual, manual)
			default:
				spans[c.Manifest] = append(spans[c.Manifest], es...)
			}
		default:
			p.Manual = append(p.Manual, manualInstruction(c))
		}
	}
	for file, es := range spans {
		old, err := a.read(file)
		if err != nil {
			p.Manual = append(p.Manual, fmt.Sprintf("%s: %v: edit it by hand", file, err))
			continue
		}
		nw, err := applySpans(old, es)
		if err != nil {
			p.Manual = append(p.Manual, fmt.Sprintf("%s: %v: edit it by hand", file, err))
			continue
		}
		olds[file], files[file] = old, nw
	}
	var outputs []string
	for _, k := range toolKeys {
		eco, dir, _ := strings.Cut(k, ":")
		var res *toolResult
		var err error
		if eco == "go" {
			res, err = a.goTool(ctx, dir, byTool[k])
		} else {
			res, err = a.npmTool(ctx, dir, byTool[k])
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if res != nil && res.output != "" {
			outputs = append(outputs, res.output)
		}
		if err != nil {
			p.Failed = err.Error()
			p.ToolOutput = strings.Join(outputs, "\n")
			return nil
		}
		for f, b := range res.files {
			old, _ := a.read(f)
			olds[f], files[f] = old, b
		}
	}
	p.ToolOutput = strings.Join(outputs, "\n")
	names := make([]string, 0, len(files))
	for f := range files {
		names = append(names, f)
	}
	sort.Strings(names)
	var diff strings.Builder
	for _, f := range names {
		if bytes.Equal(olds[f], files[f]) {
			continue
		}
		p.Edits = append(p.Edits, Edit{Path: f, Old: olds[f], New: files[f]})
		diff.WriteString(Diff(f, olds[f], files[f]))
	}
	p.Diff = diff.String()
	return nil
}

// Write writes a plan's edits into the tree, each file replaced
// atomically; a file changed since Apply read it is refused.
func (a *Applier) Write(p *Plan) error {
	for _, e := range p.Edits {
		cur, err := a.read(e.Path)
		if err != nil && !(errors.Is(err, fs.ErrNotExist) && e.Old == nil) {
			return fmt.Errorf("fix: %s: %w", e.Path, err)
		}
		if !bytes.Equal(cur, e.Old) {
			return fmt.Errorf("fix: %s changed since the plan was made: run airlock fix again", e.Path)
		}
	}
	for _, e := range p.Edits {
		if err := writeAtomic(filepath.Join(a.Root, filepath.FromSlash(e.Path)), e.New); err != nil {
			return fmt.Errorf("fix: %w", err)
		}
	}
	return nil
}

// read reads a file of the tree; it stays inside the tree.
func (a *Applier) read(rel string) ([]byte, error) {
	r, err := os.OpenRoot(a.Root)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return r.ReadFile(filepath.FromSlash(rel))
}

func writeAtomic(file string, b []byte) error {
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(file); err == nil {
		mode = fi.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".airlock-fix-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(b)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), mode)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), file)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// spanEdit replaces the bytes [start, end) of a file, which must read old.
type spanEdit struct {
	start, end int
	old, new   string
}

func applySpans(b []byte, es []spanEdit) ([]byte, error) {
	es = slices.Clone(es)
	sort.Slice(es, func(i, j int) bool { return es[i].start > es[j].start })
	out := slices.Clone(b)
	last := len(b) + 1
	for _, e := range es {
		if e.start < 0 || e.end > len(b) || e.start > e.end || e.end > last {
			return nil, fmt.Errorf("bytes %d-%d are outside the file or overlap another edit", e.start, e.end)
		}
		if string(b[e.start:e.end]) != e.old {
			return nil, fmt.Errorf("bytes %d-%d read %q, not %q: the file changed since it was scanned", e.start, e.end, b[e.start:e.end], e.old)
		}
		out = append(out[:e.start:e.start], append([]byte(e.new), out[e.end:]...)...)
		last = e.start
	}
	return out, nil
}

// mirrorURL returns the mirror of an ecosystem, or an error saying how to
// configure one.
func (a *Applier) mirrorURL(eco string) (registry.Mirror, error) {
	if a.Mirror != nil {
		if m, ok := a.Mirror(eco); ok {
			return m, nil
		}
	}
	key := registry.KeyOf(eco)
	return registry.Mirror{}, fmt.Errorf("no %s mirror configured: give one with --registry %s=URL or %s", eco, key, registry.EnvVar(key))
}

// manualInstruction is what to do by hand for a change airlock does not
// make itself.
func manualInstruction(c Change) string {
	where := c.Manifest
	if c.Line > 0 {
		where = fmt.Sprintf("%s:%d", c.Manifest, c.Line)
	}
	var how string
	switch path.Base(c.Manifest) {
	case "yarn.lock":
		how = fmt.Sprintf("run `yarn up %s@%s` (or add a \"resolutions\" entry for a transitive dependency)", c.Name, c.To)
	case "pnpm-lock.yaml":
		how = fmt.Sprintf("run `pnpm update %s@%s` (or add a pnpm.overrides entry for a transitive dependency)", c.Name, c.To)
	case "poetry.lock":
		how = fmt.Sprintf("run `poetry add %s@%s` (direct) or `poetry update %s` after raising the constraint", c.Name, c.To, c.Name)
	case "uv.lock":
		how = fmt.Sprintf("run `uv lock --upgrade-package %s==%s`", c.Name, c.To)
	case "Pipfile.lock":
		how = fmt.Sprintf("run `pipenv install %s==%s`", c.Name, c.To)
	case "Gemfile.lock":
		how = fmt.Sprintf("run `bundle update %s --conservative` after allowing %s in the Gemfile", c.Name, c.To)
	case "composer.lock":
		how = fmt.Sprintf("run `composer update %s --with=%s:%s`", c.Name, c.Name, c.To)
	case "gradle.lockfile":
		how = fmt.Sprintf("raise %s to %s in the build script and run `gradle dependencies --write-locks`", c.Name, c.To)
	case "packages.lock.json":
		how = fmt.Sprintf("run `dotnet add package %s --version %s` and `dotnet restore --force-evaluate`", c.Name, c.To)
	case "Cargo.lock":
		how = fmt.Sprintf("run `cargo update -p %s@%s --precise %s`", c.Name, c.From, c.To)
	case "pom.xml":
		how = fmt.Sprintf("add to <dependencyManagement><dependencies>: <dependency><groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version></dependency>",
			groupOf(c.Name), artifactOf(c.Name), c.To)
	default:
		how = fmt.Sprintf("upgrade %s to %s", c.Name, c.To)
	}
	return fmt.Sprintf("%s: %s %s → %s: %s", where, c.Name, c.From, c.To, how)
}

func groupOf(n string) string    { g, _, _ := strings.Cut(n, ":"); return g }
func artifactOf(n string) string { _, a, _ := strings.Cut(n, ":"); return a }

// hostOf returns a URL's host for NO_PROXY.
func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return p.Hostname()
}
