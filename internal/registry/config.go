package registry

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/airlock-sec/airlock/internal/inventory"
)

// Mirror is one ecosystem's mirror, as the operator configures it.
type Mirror struct {
	// URL is the mirror's base address: a Go module proxy, an npm
	// registry, a PyPI simple index, a Maven repository, a crates.io
	// sparse index, a RubyGems or a Packagist (Composer v2) repository.
	URL string `yaml:"url"`
	// Token is sent as "Authorization: Bearer TOKEN"; Username and
	// Password as basic authentication. Both optional.
	Token    string `yaml:"token"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// CAFile is a PEM file of extra trusted CA certificates.
	CAFile string `yaml:"ca_file"`
	// Proxy is an HTTP(S) proxy URL; NoProxy its exceptions (NO_PROXY
	// syntax). Empty: no proxy.
	Proxy   string `yaml:"proxy"`
	NoProxy string `yaml:"no_proxy"`
	// From says where the URL was configured ("--registry", an
	// environment variable, a file), for messages.
	From string `yaml:"-"`
}

// Config is the registries section of the server's configuration file or
// the CLI's user configuration, with the settings every client shares.
type Config struct {
	// Mirrors maps an ecosystem key (see Key) to its mirror.
	Mirrors map[string]Mirror `yaml:"mirrors"`
	// CacheDir is where responses are kept between runs; empty: the
	// user's cache directory (os.UserCacheDir()/airlock/registry).
	CacheDir string `yaml:"cache_dir"`
	// CacheTTL is how long a cached response is used without asking the
	// mirror again (default 24h); after it, the mirror is asked with
	// If-None-Match / If-Modified-Since.
	CacheTTL time.Duration `yaml:"cache_ttl"`
	// MaxInFlight bounds the requests in flight across all mirrors
	// (default 8).
	MaxInFlight int `yaml:"max_in_flight"`
	// MaxResponse bounds a response body in bytes (default 64 MiB).
	MaxResponse int64 `yaml:"max_response"`
	// IdleTimeout fails a request whose response stops arriving for this
	// long (default 30s).
	IdleTimeout time.Duration `yaml:"idle_timeout"`
}

// Defaults.
const (
	DefaultCacheTTL    = 24 * time.Hour
	DefaultMaxInFlight = 8
	DefaultMaxResponse = 64 << 20
	DefaultIdleTimeout = 30 * time.Second
)

// keys are the ecosystems with a client, by their configuration key.
var keys = map[string]string{
	"go": inventory.Go, "npm": inventory.NPM, "pypi": inventory.PyPI, "maven": inventory.Maven,
	"crates": inventory.CratesIO, "rubygems": inventory.RubyGems, "packagist": inventory.Packagist,
}

// Key returns the configuration key of an ecosystem name, given as a key
// ("crates"), as OSV spells it ("crates.io") or in any case; false for an
// ecosystem without a client.
func Key(s string) (string, bool) {
	k := strings.ToLower(strings.TrimSpace(s))
	if k == "crates.io" || k == "cargo" {
		k = "crates"
	}
	if k == "golang" {
		k = "go"
	}
	_, ok := keys[k]
	return k, ok
}

// Ecosystem returns the OSV spelling of a configuration key.
func Ecosystem(key string) string { return keys[key] }

// KeyOf returns the configuration key of an OSV ecosystem name; "" when it
// has no client.
func KeyOf(ecosystem string) string {
	for k, e := range keys {
		if e == ecosystem {
			return k
		}
	}
	return ""
}

// Keys lists the configuration keys, sorted.
func Keys() []string {
	out := make([]string, 0, len(keys))
	for k := range keys {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ParseYAML reads a registries section: the value under "registries:" of
// a configuration file. name names the file in errors.
func ParseYAML(name string, node *yaml.Node) (Config, error) {
	var c Config
	if node == nil {
		return c, nil
	}
	if err := node.Decode(&c); err != nil {
		return c, fmt.Errorf("%s: registries: %w", name, err)
	}
	for k, m := range c.Mirrors {
		key, ok := Key(k)
		if !ok {
			return c, fmt.Errorf("%s: registries.mirrors: unknown ecosystem %q: use one of %s", name, k, strings.Join(Keys(), ", "))
		}
		if err := checkURL(m.URL); err != nil {
			return c, fmt.Errorf("%s: registries.mirrors.%s.url: %w", name, k, err)
		}
		delete(c.Mirrors, k)
		m.From = name
		c.Mirrors[key] = m
	}
	if c.MaxInFlight < 0 || c.MaxResponse < 0 || c.CacheTTL < 0 || c.IdleTimeout < 0 {
		return c, fmt.Errorf("%s: registries: max_in_flight, max_response, cache_ttl and idle_timeout may not be negative", name)
	}
	return c, nil
}

// LoadUserConfig reads the "registries:" section of the CLI's user
// configuration file (os.UserConfigDir()/airlock/config.yaml, unless file
// is given). A missing file is no configuration.
func LoadUserConfig(file string) (Config, error) {
	if file == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			return Config{}, nil
		}
		file = filepath.Join(dir, "airlock", "config.yaml")
	}
	b, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return Config{}, nil
	} else if err != nil {
		return Config{}, fmt.Errorf("registry: %w", err)
	}
	var doc struct {
		Registries yaml.Node `yaml:"registries"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return Config{}, fmt.Errorf("%s: %w", file, err)
	}
	if doc.Registries.Kind == 0 {
		return Config{}, nil
	}
	return ParseYAML(file, &doc.Registries)
}

// checkURL accepts an http or https URL with a host.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	if u.User != nil {
		return fmt.Errorf("%q carries credentials: give them as username/password or token instead", redactURL(u))
	}
	return nil
}

func redactURL(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.User("xxx")
	}
	return c.String()
}

// ParseFlag reads one --registry ECOSYSTEM=URL.
func ParseFlag(s string) (key string, m Mirror, err error) {
	eco, u, ok := strings.Cut(s, "=")
	if !ok {
		return "", m, fmt.Errorf("--registry %q: give ECOSYSTEM=URL (ecosystems: %s)", s, strings.Join(Keys(), ", "))
	}
	key, ok = Key(eco)
	if !ok {
		return "", m, fmt.Errorf("--registry %q: unknown ecosystem %q: use one of %s", s, eco, strings.Join(Keys(), ", "))
	}
	if err := checkURL(u); err != nil {
		return "", m, fmt.Errorf("--registry %s: %w", key, err)
	}
	return key, Mirror{URL: u, From: "--registry " + key}, nil
}

// EnvVar is the environment variable naming an ecosystem's mirror.
func EnvVar(key string) string { return "AIRLOCK_REGISTRY_" + strings.ToUpper(key) }

// Getenv reads an environment variable; os.Getenv in production.
type Getenv func(string) string

// Resolve merges the sources of configuration, the first that names an
// ecosystem winning: flags (--registry), the environment
// (AIRLOCK_REGISTRY_<KEY>), the configuration file (file), then the
// native tools' explicit configuration (Native). Settings other than
// mirrors come from file.
func Resolve(flags map[string]Mirror, getenv Getenv, file Config, native map[string]Mirror) (Config, error) {
	out := file
	out.Mirrors = map[string]Mirror{}
	// A URL given elsewhere keeps the file's credentials, CA and proxy
	// when it names the same host.
	set := func(k string, m Mirror) {
		if prev, ok := file.Mirrors[k]; ok && sameHost(prev.URL, m.URL) {
			prev.URL, prev.From = m.URL, m.From
			m = prev
		}
		out.Mirrors[k] = m
	}
	for k, m := range native {
		out.Mirrors[k] = m
	}
	for k, m := range file.Mirrors {
		out.Mirrors[k] = m
	}
	for _, k := range Keys() {
		if v := strings.TrimSpace(getenv(EnvVar(k))); v != "" {
			if err := checkURL(v); err != nil {
				return out, fmt.Errorf("%s: %w", EnvVar(k), err)
			}
			set(k, Mirror{URL: v, From: EnvVar(k)})
		}
	}
	for k, m := range flags {
		set(k, m)
	}
	return out, nil
}

func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && strings.EqualFold(ua.Host, ub.Host)
}

// Native reads the mirrors the site's own tools are explicitly configured
// with: the first URL of GOPROXY (the environment, else the go command's
// environment file that 'go env -w' writes), npm's registry
// (npm_config_registry, else the user's .npmrc) and PIP_INDEX_URL (its
// user:password, if any, as basic authentication). A tool's
// built-in default is never used: when nothing is set, nothing is returned.
func Native(getenv Getenv, home, userConfigDir string) map[string]Mirror {
	out := map[string]Mirror{}
	if u, from := goproxy(getenv, userConfigDir); u != "" {
		out["go"] = Mirror{URL: u, From: from}
	}
	if m := npmRegistry(getenv, home); m.URL != "" {
		out["npm"] = m
	}
	if m, ok := pipIndex(strings.TrimSpace(getenv("PIP_INDEX_URL"))); ok {
		out["pypi"] = m
	}
	return out
}

// pipIndex reads PIP_INDEX_URL. pip takes the index's credentials in the
// URL (https://user:password@host/simple); they become the mirror's basic
// authentication, and the URL airlock shows and caches by carries none.
func pipIndex(v string) (Mirror, bool) {
	if v == "" {
		return Mirror{}, false
	}
	u, err := url.Parse(v)
	if err != nil {
		return Mirror{}, false
	}
	m := Mirror{From: "PIP_INDEX_URL"}
	if u.User != nil {
		m.Username = u.User.Username()
		m.Password, _ = u.User.Password()
		u.User = nil
	}
	m.URL = u.String()
	if checkURL(m.URL) != nil {
		return Mirror{}, false
	}
	return m, true
}

// goproxy returns the first URL of an explicitly set GOPROXY.
func goproxy(getenv Getenv, userConfigDir string) (string, string) {
	if v := getenv("GOPROXY"); v != "" {
		return firstProxy(v), "GOPROXY"
	}
	file := getenv("GOENV")
	if file == "off" {
		return "", ""
	}
	if file == "" {
		if userConfigDir == "" {
			return "", ""
		}
		file = filepath.Join(userConfigDir, "go", "env")
	}
	b, err := readSmall(file)
	if err != nil {
		return "", ""
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && strings.TrimSpace(k) == "GOPROXY" {
			if u := firstProxy(strings.TrimSpace(v)); u != "" {
				return u, file + " (GOPROXY)"
			}
		}
	}
	return "", ""
}

// firstProxy returns the first URL of a GOPROXY list ("direct" and "off"
// are not URLs).
func firstProxy(v string) string {
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '|' }) {
		f = strings.TrimSpace(f)
		if checkURL(f) == nil {
			return f
		}
		if f == "off" {
			return ""
		}
	}
	return ""
}

// npmRegistry returns an explicitly configured npm registry, with the
// credentials the user's .npmrc gives for it (see NPMRC.Auth).
func npmRegistry(getenv Getenv, home string) Mirror {
	rc := ReadNPMRC(getenv, home)
	var m Mirror
	for _, k := range []string{"npm_config_registry", "NPM_CONFIG_REGISTRY"} {
		if v := strings.TrimSpace(getenv(k)); v != "" && checkURL(v) == nil {
			m = Mirror{URL: v, From: k}
			break
		}
	}
	if m.URL == "" {
		if v := rc.kv["registry"]; v != "" && checkURL(v) == nil {
			m = Mirror{URL: v, From: rc.file}
		}
	}
	if m.URL == "" {
		return m
	}
	return rc.Auth(m, getenv)
}

// NPMRC is the user's npm configuration file ($NPM_CONFIG_USERCONFIG,
// else ~/.npmrc): never a repository's own .npmrc, which could send the
// user's credentials elsewhere.
type NPMRC struct {
	file string
	kv   map[string]string
}

// ReadNPMRC reads the user's .npmrc; a missing or unreadable file is an
// empty one.
func ReadNPMRC(getenv Getenv, home string) NPMRC {
	file := getenv("NPM_CONFIG_USERCONFIG")
	if file == "" {
		file = getenv("npm_config_userconfig")
	}
	if file == "" && home != "" {
		file = filepath.Join(home, ".npmrc")
	}
	rc := NPMRC{file: file, kv: map[string]string{}}
	if file == "" {
		return rc
	}
	b, err := readSmall(file)
	if err != nil {
		return rc
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			rc.kv[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return rc
}

// Auth returns m with the credentials the .npmrc gives for its URL, as
// npm picks them: the longest "//host/path/:" prefix of the URL that
// carries "_authToken" (a bearer token), "_auth" (base64 of
// user:password) or "username" with "_password" (base64 of the
// password); else the file's top-level "_authToken" or "_auth", but only
// for the registry the file itself names (npm sends those to its default
// registry alone). ${VAR} in values is expanded from the environment.
// Credentials m already has (from airlock's own configuration) win.
func (rc NPMRC) Auth(m Mirror, getenv Getenv) Mirror {
	if m.Token != "" || m.Username != "" || m.URL == "" {
		return m
	}
	u, err := url.Parse(m.URL)
	if err != nil {
		return m
	}
	target := "//" + u.Host + strings.TrimSuffix(u.Path, "/") + "/"
	best := ""
	var token, user, pass string
	for k := range rc.kv {
		i := strings.LastIndex(k, ":")
		if i < 0 || !strings.HasPrefix(k, "//") {
			continue
		}
		prefix, field := k[:i], k[i+1:]
		if field != "_authToken" && field != "_auth" && field != "username" {
			continue
		}
		if host, _, _ := strings.Cut(prefix[2:], "/"); host == "" {
			continue // "//:_auth" names no host: it matches none
		}
		if !strings.HasSuffix(prefix, "/") {
			prefix += "/"
		}
		if !strings.HasPrefix(target, prefix) || len(prefix) <= len(best) {
			continue
		}
		t, us, p := rc.creds(k[:i]+":", getenv)
		if t == "" && us == "" {
			continue
		}
		best, token, user, pass = prefix, t, us, p
	}
	if best == "" && rc.kv["registry"] != "" && sameHost(rc.kv["registry"], m.URL) {
		token, user, pass = rc.creds("", getenv)
	}
	m.Token, m.Username, m.Password = token, user, pass
	return m
}

// creds reads the credentials under a key prefix ("//host/path/:" or ""
// for the top level).
func (rc NPMRC) creds(prefix string, getenv Getenv) (token, user, pass string) {
	if t := expandEnv(rc.kv[prefix+"_authToken"], getenv); t != "" {
		return t, "", ""
	}
	if a := expandEnv(rc.kv[prefix+"_auth"], getenv); a != "" {
		if b, err := base64.StdEncoding.DecodeString(a); err == nil {
			if us, p, ok := strings.Cut(string(b), ":"); ok && us != "" {
				return "", us, p
			}
		}
	}
	if us := expandEnv(rc.kv[prefix+"username"], getenv); us != "" {
		if b, err := base64.StdEncoding.DecodeString(expandEnv(rc.kv[prefix+"_password"], getenv)); err == nil && len(b) > 0 {
			return "", us, string(b)
		}
	}
	return "", "", ""
}

// WithNPMRC gives the npm mirror of cfg, wherever it was configured, the
// credentials the user's .npmrc has for it when airlock's configuration
// gives none.
func WithNPMRC(cfg Config, getenv Getenv, home string) Config {
	m, ok := cfg.Mirrors["npm"]
	if !ok || m.Token != "" || m.Username != "" {
		return cfg
	}
	mirrors := make(map[string]Mirror, len(cfg.Mirrors))
	for k, v := range cfg.Mirrors {
		mirrors[k] = v
	}
	mirrors["npm"] = ReadNPMRC(getenv, home).Auth(m, getenv)
	cfg.Mirrors = mirrors
	return cfg
}

// expandEnv replaces ${VAR} as npm does in .npmrc values.
func expandEnv(s string, getenv Getenv) string {
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return s
		}
		j := strings.Index(s[i:], "}")
		if j < 0 {
			return s
		}
		s = s[:i] + getenv(s[i+2:i+j]) + s[i+j+1:]
	}
}

func readSmall(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 1<<20))
}
