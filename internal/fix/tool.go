package fix

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/osv-scalibr/semantic"

	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/inventory/packagelock"
	"github.com/airlock-sec/airlock/internal/registry"
)

// DefaultTimeout bounds one run of a native tool.
const DefaultTimeout = 5 * time.Minute

// nowhere is a proxy address that refuses every connection: the tools'
// traffic to anything but the mirror goes there and fails at once.
const nowhere = "http://127.0.0.1:9"

// toolResult is what a native tool changed, by tree-relative path, and
// what it printed.
type toolResult struct {
	files  map[string][]byte
	output string
}

// toolEnv is the tools' environment: a's, without the settings airlock
// decides, and with every connection but the mirror's refused.
func (a *Applier) toolEnv(m registry.Mirror, extra ...string) []string {
	drop := []string{"GOPROXY=", "GOFLAGS=", "GOSUMDB=", "GONOSUMDB=", "GOTOOLCHAIN=", "GOWORK=", "GOVCS=", "GOENV=",
		"HTTP_PROXY=", "HTTPS_PROXY=", "NO_PROXY=", "http_proxy=", "https_proxy=", "no_proxy=", "ALL_PROXY=", "all_proxy="}
	var env []string
	for _, e := range a.Env {
		keep := true
		for _, d := range drop {
			if strings.HasPrefix(e, d) || strings.HasPrefix(strings.ToLower(e), "npm_config_") {
				keep = false
				break
			}
		}
		if keep {
			env = append(env, e)
		}
	}
	proxy, noProxy := nowhere, hostOf(m.URL)
	if m.Proxy != "" {
		proxy, noProxy = m.Proxy, m.NoProxy
	}
	env = append(env, "HTTP_PROXY="+proxy, "HTTPS_PROXY="+proxy, "http_proxy="+proxy, "https_proxy="+proxy, "NO_PROXY="+noProxy, "no_proxy="+noProxy)
	return append(env, extra...)
}

// run runs a tool in dir within the timeout, its process group killed at
// the end; the output is returned whatever happens.
func (a *Applier) run(ctx context.Context, dir string, env []string, name string, args ...string) (string, error) {
	timeout := a.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(rctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	killProcessGroup(cmd)
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	text := "$ " + name + " " + strings.Join(args, " ") + "\n" + out.String()
	if rctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
		return text, fmt.Errorf("%s %s did not finish within %s", name, args[0], timeout)
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return text, fmt.Errorf("%s %s failed (exit %d): no change proposed; its output is kept with the plan", name, args[0], ee.ExitCode())
		}
		return text, fmt.Errorf("%s: %w", name, err)
	}
	return text, nil
}

// goTool upgrades the modules of one go.mod with the go command against
// the mirror (go get, then go mod verify), in a copy of the module.
func (a *Applier) goTool(ctx context.Context, dir string, cs []Change) (*toolResult, error) {
	m, err := a.mirrorURL(inventory.Go)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "airlock-fix-go-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if err := a.copyModule(dir, tmp); err != nil {
		return nil, err
	}
	args := append([]string{"get"}, upgrades(inventory.Go, cs)...)
	env := a.toolEnv(m, "GOPROXY="+m.URL, "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local", "GOWORK=off", "GOVCS=*:off", "GONOSUMDB=", "GOPRIVATE=")
	if a.GoSumDB != "" {
		env = append(env, "GOSUMDB="+a.GoSumDB)
	}
	res := &toolResult{files: map[string][]byte{}}
	out, err := a.run(ctx, tmp, env, "go", args...)
	res.output = out
	if err != nil {
		return res, err
	}
	out, err = a.run(ctx, tmp, env, "go", "mod", "verify")
	res.output += out
	if err != nil {
		return res, err
	}
	for _, c := range cs {
		out, err := a.run(ctx, tmp, env, "go", "list", "-m", "-f", "{{.Version}}", c.Name)
		if err != nil {
			res.output += out
			return res, err
		}
		got := strings.TrimSpace(out[strings.IndexByte(out, '\n')+1:])
		cv := &comparer{cache: map[[2]string]semantic.Version{}}
		if cv.compare(inventory.Go, got, c.To) < 0 {
			return res, fmt.Errorf("go get left %s at %s, below %s: no change proposed", c.Name, got, c.To)
		}
	}
	for _, f := range []string{"go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join(tmp, f))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return res, err
		}
		res.files[path.Join(dir, f)] = b
	}
	return res, nil
}

// npmTool upgrades the packages of one package-lock.json with npm
// against the mirror (npm install --package-lock-only --ignore-scripts),
// direct dependencies by name@version, transitive ones through the
// release of their parent that pulls in the fix or through "overrides"
// in package.json, in a copy of the two files.
func (a *Applier) npmTool(ctx context.Context, dir string, cs []Change) (*toolResult, error) {
	m, err := a.mirrorURL(inventory.NPM)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "airlock-fix-npm-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	lockName := path.Base(cs[0].Manifest)
	pj, err := a.read(path.Join(dir, "package.json"))
	if err != nil {
		return nil, fmt.Errorf("%s: %w: npm needs it beside %s", path.Join(dir, "package.json"), err, lockName)
	}
	lock, err := a.read(cs[0].Manifest)
	if err != nil {
		return nil, err
	}
	var overrides []Change
	var direct []Change
	exact := false
	for _, c := range cs {
		if c.Method == MethodOverride {
			overrides = append(overrides, c)
			continue
		}
		direct = append(direct, c)
		name := c.Name
		if c.Method == MethodParent && c.Parent != nil {
			name = c.Parent.Name
		}
		exact = exact || exactSpec(pj, name)
	}
	args := append([]string{"install"}, upgrades(inventory.NPM, direct)...)
	if len(overrides) > 0 {
		if pj, err = addOverrides(pj, overrides); err != nil {
			return nil, fmt.Errorf("%s: %w", path.Join(dir, "package.json"), err)
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, "package.json"), pj, 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(tmp, lockName), lock, 0o644); err != nil {
		return nil, err
	}
	args = append(args, "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund", "--registry", m.URL)
	if exact {
		args = append(args, "--save-exact")
	}
	proxy := nowhere
	if m.Proxy != "" {
		proxy = m.Proxy
	}
	extra := []string{"npm_config_registry=" + m.URL, "npm_config_ignore_scripts=true", "npm_config_update_notifier=false",
		"npm_config_proxy=" + proxy, "npm_config_https_proxy=" + proxy, "npm_config_noproxy=" + hostOf(m.URL)}
	// Credentials for the mirror alone, keyed by its URL as npm keys them.
	scope := "npm_config_" + strings.TrimPrefix(m.URL, strings.SplitN(m.URL, "//", 2)[0])
	if !strings.HasSuffix(scope, "/") {
		scope += "/"
	}
	switch {
	case m.Token != "":
		extra = append(extra, scope+":_authToken="+m.Token)
	case m.Username != "":
		extra = append(extra, scope+":_auth="+base64.StdEncoding.EncodeToString([]byte(m.Username+":"+m.Password)))
	}
	res := &toolResult{files: map[string][]byte{}}
	out, err := a.run(ctx, tmp, a.toolEnv(m, extra...), "npm", args...)
	res.output = out
	if err != nil {
		return res, err
	}
	newLock, err := os.ReadFile(filepath.Join(tmp, lockName))
	if err != nil {
		return res, err
	}
	newPJ, err := os.ReadFile(filepath.Join(tmp, "package.json"))
	if err != nil {
		return res, err
	}
	// Every copy of each package must now be at its target or above.
	pkgs, err := packagelock.New().Extract(ctx, &inventory.Input{Path: lockName, Reader: bytes.NewReader(newLock)})
	if err != nil && len(pkgs) == 0 {
		return res, fmt.Errorf("npm wrote a %s airlock cannot read: %v", lockName, err)
	}
	cv := &comparer{cache: map[[2]string]semantic.Version{}}
	for _, c := range cs {
		for _, p := range pkgs {
			if p.Name == c.Name && p.Version != "" && cv.compare(inventory.NPM, p.Version, c.To) < 0 {
				return res, fmt.Errorf("npm left %s at %s, below %s: no change proposed", c.Name, p.Version, c.To)
			}
		}
	}
	res.files[path.Join(dir, lockName)] = newLock
	res.files[path.Join(dir, "package.json")] = newPJ
	return res, nil
}

// upgrades returns the NAME@VERSION arguments of changes made by
// upgrading a dependency: the package itself, or for MethodParent the
// direct dependency whose release pulls in the fix. A dependency named by
// several changes (one parent of two packages) is upgraded once, to the
// highest version any of them needs.
func upgrades(eco string, cs []Change) []string {
	cv := &comparer{cache: map[[2]string]semantic.Version{}}
	var names []string
	to := map[string]string{}
	for _, c := range cs {
		name, v := c.Name, c.To
		if c.Method == MethodParent && c.Parent != nil {
			name, v = c.Parent.Name, c.ParentTo
		}
		cur, ok := to[name]
		if !ok {
			names = append(names, name)
		}
		if !ok || cv.compare(eco, v, cur) > 0 {
			to[name] = v
		}
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, n+"@"+to[n])
	}
	return out
}

// exactSpec reports whether package.json pins name to an exact version.
func exactSpec(pj []byte, name string) bool {
	var doc map[string]json.RawMessage
	if json.Unmarshal(pj, &doc) != nil {
		return false
	}
	for _, sec := range []string{"dependencies", "devDependencies", "optionalDependencies"} {
		var deps map[string]string
		if json.Unmarshal(doc[sec], &deps) != nil {
			continue
		}
		if s, ok := deps[name]; ok {
			return s != "" && s[0] >= '0' && s[0] <= '9'
		}
	}
	return false
}

// addOverrides adds "overrides" entries to a package.json's text, keeping
// the rest as written: into an existing top-level "overrides" object, else
// as a new last member.
func addOverrides(pj []byte, cs []Change) ([]byte, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(pj, &doc); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	indent := detectIndent(pj)
	var entries []string
	for _, c := range cs {
		k, _ := json.Marshal(c.Name)
		v, _ := json.Marshal(c.To)
		entries = append(entries, string(k)+": "+string(v))
	}
	if raw, ok := doc["overrides"]; ok {
		var ov map[string]json.RawMessage
		if err := json.Unmarshal(raw, &ov); err != nil {
			return nil, fmt.Errorf("field \"overrides\": %w", err)
		}
		for _, c := range cs {
			if _, ok := ov[c.Name]; ok {
				return nil, fmt.Errorf("field \"overrides\" already sets %s: change it to %s by hand", c.Name, c.To)
			}
		}
		// Insert after the opening brace of the top-level member.
		pos, err := overridesBrace(pj)
		if err != nil {
			return nil, err
		}
		sep := ","
		if len(ov) == 0 {
			sep = ""
		}
		ins := "\n" + indent + indent + strings.Join(entries, ",\n"+indent+indent) + sep
		if len(ov) == 0 {
			ins += "\n" + indent
		}
		return append(pj[:pos:pos], append([]byte(ins), pj[pos:]...)...), nil
	}
	end := bytes.LastIndexByte(pj, '}')
	if end < 0 {
		return nil, errors.New("not a JSON object")
	}
	body := bytes.TrimRight(pj[:end], " \t\r\n")
	sep := ","
	if len(body) > 0 && body[len(body)-1] == '{' {
		sep = ""
	}
	ins := sep + "\n" + indent + `"overrides": {` + "\n" + indent + indent + strings.Join(entries, ",\n"+indent+indent) + "\n" + indent + "}\n"
	out := append([]byte{}, body...)
	out = append(out, ins...)
	return append(out, pj[end:]...), nil
}

// overridesBrace returns the offset just after the "{" of the top-level
// "overrides" member.
func overridesBrace(pj []byte) (int, error) {
	dec := json.NewDecoder(bytes.NewReader(pj))
	if _, err := dec.Token(); err != nil { // the object's "{"
		return 0, err
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return 0, err
		}
		if k == "overrides" {
			if t, err := dec.Token(); err != nil || t != json.Delim('{') {
				return 0, errors.New("field \"overrides\" is not an object")
			}
			return int(dec.InputOffset()), nil
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return 0, err
		}
	}
	return 0, errors.New("field \"overrides\" not found")
}

// detectIndent returns the indentation of a JSON text's first member.
func detectIndent(b []byte) string {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return "  "
	}
	rest := b[i+1:]
	n := 0
	for n < len(rest) && (rest[n] == ' ' || rest[n] == '\t') {
		n++
	}
	if n == 0 {
		return "  "
	}
	return string(rest[:n])
}

// copyModule copies a module's directory from the tree to dst for the go
// command: its regular files, without .git, vendor, node_modules and
// nested modules, at most MaxCopy bytes.
func (a *Applier) copyModule(dir, dst string) error {
	limit := a.MaxCopy
	if limit <= 0 {
		limit = 512 << 20
	}
	r, err := os.OpenRoot(a.Root)
	if err != nil {
		return err
	}
	defer r.Close()
	var total int64
	return fs.WalkDir(r.FS(), dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, dir), "/")
		if d.IsDir() {
			switch d.Name() {
			case ".git", "vendor", "node_modules", "testdata":
				if rel != "" {
					return fs.SkipDir
				}
			}
			if rel != "" {
				if _, err := fs.Stat(r.FS(), path.Join(p, "go.mod")); err == nil {
					return fs.SkipDir
				}
			}
			return os.MkdirAll(filepath.Join(dst, filepath.FromSlash(rel)), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if total += fi.Size(); total > limit {
			return fmt.Errorf("%s is more than %d bytes: too large to copy for the go command", dir, limit)
		}
		in, err := r.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(filepath.Join(dst, filepath.FromSlash(rel)))
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}
