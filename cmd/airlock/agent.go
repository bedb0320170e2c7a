package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/airlock-sec/airlock/internal/netx"
	"github.com/airlock-sec/airlock/internal/policy"
	"github.com/airlock-sec/airlock/internal/tunnel"
)

// agentConfig is the configuration of airlock agent: the config file,
// then the environment, then flags.
type agentConfig struct {
	Server        string `yaml:"server"`
	Key           string `yaml:"key"`
	GitLabURL     string `yaml:"gitlab_url"`
	GitLabToken   string `yaml:"gitlab_token"`
	Allowlist     string `yaml:"allowlist"`
	AuditLog      string `yaml:"audit_log"`
	Listen        string `yaml:"listen"`
	ServerProxy   string `yaml:"server_proxy"`
	ServerNoProxy string `yaml:"server_no_proxy"`
	ServerCA      string `yaml:"server_ca"`
	GitLabProxy   string `yaml:"gitlab_proxy"`
	GitLabNoProxy string `yaml:"gitlab_no_proxy"`
	GitLabCA      string `yaml:"gitlab_ca"`
	LogLevel      string `yaml:"log_level"`
	LogFormat     string `yaml:"log_format"`
}

var agentEnvNames = map[string]string{
	"server": "AIRLOCK_SERVER", "key": "AIRLOCK_AGENT_KEY", "gitlab_url": "AIRLOCK_GITLAB_URL",
	"gitlab_token": "AIRLOCK_GITLAB_TOKEN", "allowlist": "AIRLOCK_AGENT_ALLOWLIST", "audit_log": "AIRLOCK_AGENT_AUDIT_LOG", "listen": "AIRLOCK_AGENT_LISTEN",
	"server_proxy": "AIRLOCK_SERVER_PROXY", "server_no_proxy": "AIRLOCK_SERVER_NO_PROXY", "server_ca": "AIRLOCK_SERVER_CA",
	"gitlab_proxy": "AIRLOCK_GITLAB_PROXY", "gitlab_no_proxy": "AIRLOCK_GITLAB_NO_PROXY", "gitlab_ca": "AIRLOCK_GITLAB_CA",
	"log_level": "AIRLOCK_LOG_LEVEL", "log_format": "AIRLOCK_LOG_FORMAT",
}

// loadAgentConfig reads --config (or AIRLOCK_AGENT_CONFIG) and the
// environment; flags come after.
func loadAgentConfig(args []string) (agentConfig, error) {
	c := agentConfig{LogLevel: "info", LogFormat: "json"}
	file := os.Getenv("AIRLOCK_AGENT_CONFIG")
	for i, a := range args {
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && name == "config" {
			if hasVal {
				file = val
			} else if i+1 < len(args) {
				file = args[i+1]
			}
		}
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return c, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return c, fmt.Errorf("config %s: %s", file, policy.YAMLError(err))
		}
	}
	fields := map[string]*string{
		"server": &c.Server, "key": &c.Key, "gitlab_url": &c.GitLabURL, "gitlab_token": &c.GitLabToken,
		"allowlist": &c.Allowlist, "audit_log": &c.AuditLog, "listen": &c.Listen, "server_proxy": &c.ServerProxy, "server_no_proxy": &c.ServerNoProxy,
		"server_ca": &c.ServerCA, "gitlab_proxy": &c.GitLabProxy, "gitlab_no_proxy": &c.GitLabNoProxy, "gitlab_ca": &c.GitLabCA,
		"log_level": &c.LogLevel, "log_format": &c.LogFormat,
	}
	for key, env := range agentEnvNames {
		if v := os.Getenv(env); v != "" {
			*fields[key] = v
		}
	}
	return c, nil
}

const agentUsage = `Usage: airlock agent --server URL --key KEY --gitlab-url URL [flags]
       airlock agent doctor [the same flags]

Runs the on-prem agent: it dials out to the airlock server over a WebSocket
and relays the server's GitLab calls (REST API and git fetches) to the
GitLab it is given, within its allowlist. Nothing connects in to it.

Each leg has its own proxy and CA: the server leg (usually through the
corporate proxy) and the GitLab leg (usually direct). A leg without
--*-proxy takes HTTPS_PROXY, HTTP_PROXY and NO_PROXY from the environment;
"none" goes direct. A CA is a PEM file or the base64 of PEM text.

"airlock agent doctor" checks each step the agent needs (the server's
name, the proxy and TLS to it, the WebSocket upgrade with the key,
GitLab's reachability, the agent's GitLab token) and says how to fix
the first that fails; exit 1 when one fails.

Flags:
`

func cmdAgent(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	doctor := len(args) > 0 && args[0] == "doctor"
	if doctor {
		args = args[1:]
	}
	c, err := loadAgentConfig(args)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("airlock agent", flag.ContinueOnError)
	fs.String("config", "", "YAML configuration file (env AIRLOCK_AGENT_CONFIG); flags and environment override it")
	fs.StringVar(&c.Server, "server", c.Server, "the airlock server's URL, https:// (or http:// behind a TLS-terminating proxy) (env AIRLOCK_SERVER)")
	fs.StringVar(&c.Key, "key", c.Key, "the agent key from POST /api/v1/agent-keys (env AIRLOCK_AGENT_KEY)")
	fs.StringVar(&c.GitLabURL, "gitlab-url", c.GitLabURL, "the GitLab this agent relays to, and only to (env AIRLOCK_GITLAB_URL)")
	fs.StringVar(&c.GitLabToken, "gitlab-token", c.GitLabToken, "a GitLab token the agent adds itself, so the server never holds one (env AIRLOCK_GITLAB_TOKEN)")
	fs.StringVar(&c.Allowlist, "allowlist", c.Allowlist, "file of the calls to relay, METHOD /pattern per line (default: the built-in minimum; see --print-allowlist) (env AIRLOCK_AGENT_ALLOWLIST)")
	fs.StringVar(&c.Listen, "listen", c.Listen, "address on which GitLab delivers webhooks to the agent, which passes them on to the server (:8081); the integration's agent_webhook_url points here (env AIRLOCK_AGENT_LISTEN)")
	printAllow := fs.Bool("print-allowlist", false, "print the built-in allowlist and exit")
	fs.StringVar(&c.AuditLog, "audit-log", c.AuditLog, "also append the audit log (JSON lines) to this file (env AIRLOCK_AGENT_AUDIT_LOG)")
	fs.StringVar(&c.ServerProxy, "server-proxy", c.ServerProxy, `proxy to the server, or "none" (default: the environment) (env AIRLOCK_SERVER_PROXY)`)
	fs.StringVar(&c.ServerNoProxy, "server-no-proxy", c.ServerNoProxy, "NO_PROXY list for the server leg (env AIRLOCK_SERVER_NO_PROXY)")
	fs.StringVar(&c.ServerCA, "server-ca", c.ServerCA, "extra CA for the server leg: PEM file or base64 PEM (env AIRLOCK_SERVER_CA)")
	fs.StringVar(&c.GitLabProxy, "gitlab-proxy", c.GitLabProxy, `proxy to GitLab, or "none" (default: the environment) (env AIRLOCK_GITLAB_PROXY)`)
	fs.StringVar(&c.GitLabNoProxy, "gitlab-no-proxy", c.GitLabNoProxy, "NO_PROXY list for the GitLab leg (env AIRLOCK_GITLAB_NO_PROXY)")
	fs.StringVar(&c.GitLabCA, "gitlab-ca", c.GitLabCA, "extra CA for the GitLab leg: PEM file or base64 PEM (env AIRLOCK_GITLAB_CA)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (env AIRLOCK_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "json or text (env AIRLOCK_LOG_FORMAT)")
	fs.Usage = func() {
		fmt.Fprint(stderr, agentUsage)
		fs.PrintDefaults()
	}
	if pos, err := parse(fs, args, stderr); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageError{"agent takes no arguments"}
	}
	if *printAllow {
		fmt.Fprint(stdout, tunnel.DefaultAllowlist)
		return nil
	}
	for _, req := range []struct{ flag, value string }{{"--server", c.Server}, {"--key", c.Key}, {"--gitlab-url", c.GitLabURL}} {
		if req.value == "" {
			return usageError{req.flag + " is required"}
		}
	}
	log, err := serverConfig{LogLevel: c.LogLevel, LogFormat: c.LogFormat}.logger(stderr)
	if err != nil {
		return err
	}
	allow, err := tunnel.ParseAllowlist("default allowlist", tunnel.DefaultAllowlist)
	if c.Allowlist != "" {
		b, rerr := os.ReadFile(c.Allowlist)
		if rerr != nil {
			return fmt.Errorf("allowlist: %w", rerr)
		}
		allow, err = tunnel.ParseAllowlist(c.Allowlist, string(b))
	}
	if err != nil {
		return err
	}
	serverClient, err := legClient("server", c.Server, c.ServerProxy, c.ServerNoProxy, c.ServerCA)
	if err != nil {
		return err
	}
	gitlabClient, err := legClient("gitlab", c.GitLabURL, c.GitLabProxy, c.GitLabNoProxy, c.GitLabCA)
	if err != nil {
		return err
	}
	// The audit log: JSON lines on standard error, and in a file when
	// asked.
	var audit io.Writer = stderr
	if c.AuditLog != "" {
		f, err := os.OpenFile(c.AuditLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("audit-log: %w", err)
		}
		defer f.Close()
		audit = io.MultiWriter(stderr, f)
	}
	a, err := tunnel.NewAgent(tunnel.AgentConfig{
		Server: c.Server, Key: c.Key, GitLabURL: c.GitLabURL, GitLabToken: c.GitLabToken,
		ServerClient: serverClient, GitLabClient: gitlabClient, Allowlist: allow,
		Version: toolVersion(), Logger: log, Audit: audit,
	})
	if err != nil {
		return usageError{err.Error()}
	}
	if doctor {
		return agentDoctor(ctx, a, stdout)
	}
	if c.Listen != "" {
		ln, err := net.Listen("tcp", c.Listen)
		if err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		hs := &http.Server{Handler: a.WebhookRelay(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: time.Minute}
		go hs.Serve(ln)
		defer hs.Close()
		log.Info("relaying GitLab webhooks to the server", "listen", ln.Addr().String())
	}
	log.Info("agent starting", "server", c.Server, "gitlab_url", c.GitLabURL, "version", toolVersion(), "allowlist_rules", len(allow), "agent_holds_token", c.GitLabToken != "")
	return a.Run(ctx)
}

// legClient builds one leg's HTTP client: allowed to reach only rawURL's
// host, through the given proxy ("none": direct; empty: the environment),
// trusting the extra CA (a PEM file, or base64 PEM text).
func legClient(leg, rawURL, proxy, noProxy, ca string) (*http.Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil, usageError{fmt.Sprintf("--%s: %q is not a URL", map[string]string{"server": "server", "gitlab": "gitlab-url"}[leg], rawURL)}
	}
	cfg := netx.Config{Allow: []string{u.Host}}
	switch proxy {
	case "":
		cfg.FromEnvironment = noProxy == ""
		cfg.NoProxy = noProxy
	case "none":
		cfg.NoProxy = noProxy
	default:
		cfg.ProxyURL, cfg.NoProxy = proxy, noProxy
	}
	switch {
	case ca == "":
	case strings.Contains(ca, "-----BEGIN") || strings.HasPrefix(strings.TrimSpace(ca), "LS0tLS1"):
		// PEM text, or its base64 ("LS0tLS1" is "-----").
		cfg.CAPEM = []byte(ca)
	default:
		b, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("--%s-ca: %w (give a PEM file, or the base64 of PEM text)", leg, err)
		}
		cfg.CAPEM = b
	}
	c, err := netx.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("%s leg: %w", leg, err)
	}
	return c, nil
}

// agentDoctor prints the agent's checks; an error when one failed.
func agentDoctor(ctx context.Context, a *tunnel.Agent, stdout io.Writer) error {
	failed := 0
	for _, c := range a.Doctor(ctx) {
		mark := "ok  "
		if !c.OK {
			mark = "FAIL"
			failed++
		}
		fmt.Fprintf(stdout, "%s %s: %s\n", mark, c.Name, c.Detail)
		if c.Fix != "" {
			fmt.Fprintf(stdout, "     fix: %s\n", c.Fix)
		}
	}
	if failed > 0 {
		return fmt.Errorf("agent doctor: %d %s failed", failed, plural(failed, "check", "checks"))
	}
	return nil
}
