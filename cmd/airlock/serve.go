package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/airlock-sec/airlock/internal/bundle"
	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/fix"
	"github.com/airlock-sec/airlock/internal/integration"
	"github.com/airlock-sec/airlock/internal/job"
	"github.com/airlock-sec/airlock/internal/keyring"
	"github.com/airlock-sec/airlock/internal/license"
	"github.com/airlock-sec/airlock/internal/netx"
	"github.com/airlock-sec/airlock/internal/policy"
	"github.com/airlock-sec/airlock/internal/registry"
	"github.com/airlock-sec/airlock/internal/secret"
	"github.com/airlock-sec/airlock/internal/server"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/tunnel"
)

// serverConfig is the configuration of serve and worker: defaults, then
// the config file, then the environment, then flags.
type serverConfig struct {
	Addr             string        `yaml:"addr"`
	DataDir          string        `yaml:"data_dir"`
	DatabaseURL      string        `yaml:"database_url"`
	PublicURL        string        `yaml:"public_url"`
	VulnDB           string        `yaml:"db"`
	ScanInterval     time.Duration `yaml:"scan_interval"`
	DiscoverInterval time.Duration `yaml:"discover_interval"`
	HealthInterval   time.Duration `yaml:"health_interval"`
	GitLabTimeout    time.Duration `yaml:"gitlab_timeout"`
	ScanWorkers      int           `yaml:"scan_workers"`
	ScanTimeout      time.Duration `yaml:"scan_timeout"`
	FailOn           string        `yaml:"fail_on"`
	LogLevel         string        `yaml:"log_level"`
	LogFormat        string        `yaml:"log_format"`
	ShutdownTimeout  time.Duration `yaml:"shutdown_timeout"`
	// TrustedKeys is the .pub file or directory of them that signed data
	// bundles must be signed by ('airlock db import', 'airlock db verify').
	TrustedKeys string `yaml:"trusted_keys"`
	// MaxBundleUpload bounds a bundle uploaded to the server (the API
	// and the data page), in bytes (serve only).
	MaxBundleUpload int64 `yaml:"max_bundle_upload"`
	// Registries is the site's package mirrors (docs/registry.md), read
	// by the risk and license analyzers.
	Registries yaml.Node `yaml:"registries"`
	// Licenses is the site's license policy (docs/license.md); it is
	// used instead of a repository's own.
	Licenses yaml.Node `yaml:"licenses"`

	// ChangePollInterval polls integrations routed via agent that have
	// no webhook address (job/poll.go).
	ChangePollInterval time.Duration `yaml:"change_poll_interval"`

	configFile string
	// Remediation turns on fix plans and merge requests.
	Remediation remediationConfig `yaml:"remediation"`
	// DataSync fetches data from the site's internal location on a
	// schedule (serve only).
	DataSync dataSyncConfig `yaml:"data_sync"`
	// Offline checks every outbound connection against the configuration
	// (docs/bundles.md, "Zero egress"); on unless turned off.
	Offline bool `yaml:"offline"`
}

// remediationConfig is the remediation: section of the configuration file.
type remediationConfig struct {
	Enabled bool `yaml:"enabled"`
	// Strategy: minimal, patch-latest, latest-in-major; Group: package or
	// project.
	Strategy string `yaml:"strategy"`
	Group    string `yaml:"group"`
	// AutoApprove approves plans whose every change is at least
	// MinSeverity and at most a MaxBump step (patch, minor).
	AutoApprove struct {
		MinSeverity string `yaml:"min_severity"`
		MaxBump     string `yaml:"max_bump"`
	} `yaml:"auto_approve"`
	Labels             []string      `yaml:"labels"`
	MaxOpenPerProject  int           `yaml:"max_open_per_project"`
	MaxOpenPerInstance int           `yaml:"max_open_per_instance"`
	ToolTimeout        time.Duration `yaml:"tool_timeout"`
	GoSumDB            string        `yaml:"go_sumdb"`
}

// fixConfig builds the jobs' remediation settings; nil when it is off.
func (c serverConfig) fixConfig(file string) (*job.FixConfig, error) {
	rc := c.Remediation
	if !rc.Enabled {
		return nil, nil
	}
	regs, err := registry.ParseYAML(file, &c.Registries)
	if err != nil {
		return nil, err
	}
	cfg, err := registry.Resolve(nil, os.Getenv, regs, nil)
	if err != nil {
		return nil, err
	}
	if len(cfg.Mirrors) == 0 {
		return nil, fmt.Errorf("remediation is enabled but no mirror is configured: add registries.mirrors.<ecosystem>.url or AIRLOCK_REGISTRY_<ECOSYSTEM>")
	}
	if cfg.CacheDir == "" {
		cfg.CacheDir = filepath.Join(c.DataDir, "registry-cache")
	}
	set, err := registry.New(cfg)
	if err != nil {
		return nil, err
	}
	strat, err := fix.ParseStrategy(rc.Strategy)
	if err != nil {
		return nil, fmt.Errorf("remediation.strategy: %w", err)
	}
	g := fix.Grouping(rc.Group)
	if g == "" {
		g = fix.PerPackage
	}
	if g != fix.PerPackage && g != fix.PerProject {
		return nil, fmt.Errorf("remediation.group %q: use package or project", rc.Group)
	}
	fc := &job.FixConfig{Registry: set, Strategy: strat, Grouping: g, Labels: rc.Labels,
		ProjectLimit: rc.MaxOpenPerProject, InstanceLimit: rc.MaxOpenPerInstance, ToolTimeout: rc.ToolTimeout, GoSumDB: rc.GoSumDB}
	if s := rc.AutoApprove.MinSeverity; s != "" {
		sev, ok := finding.ParseSeverity(s)
		if !ok {
			return nil, fmt.Errorf("remediation.auto_approve.min_severity %q: use critical, high, medium or low", s)
		}
		fc.AutoApprove.MinSeverity = sev
	}
	switch rc.AutoApprove.MaxBump {
	case "", "patch", "minor":
		fc.AutoApprove.MaxBump = rc.AutoApprove.MaxBump
	default:
		return nil, fmt.Errorf("remediation.auto_approve.max_bump %q: use patch or minor (major upgrades are never automatic)", rc.AutoApprove.MaxBump)
	}
	return fc, nil
}

func defaultServerConfig() serverConfig {
	return serverConfig{
		Addr:             ":8080",
		DataDir:          defaultDataDir(),
		VulnDB:           defaultDB(),
		ScanInterval:     24 * time.Hour,
		DiscoverInterval: time.Hour,
		HealthInterval:   15 * time.Minute,
		GitLabTimeout:    2 * time.Minute,
		ScanTimeout:      15 * time.Minute,
		FailOn:           "any",
		LogLevel:         "info",
		LogFormat:        "json",
		ShutdownTimeout:  30 * time.Second,
		MaxBundleUpload:  server.DefaultMaxBundleUpload,
		// Zero egress unless the operator says otherwise (docs/bundles.md).
		Offline: true,

		ChangePollInterval: 2 * time.Minute,
	}
}

// defaultDataDir is $AIRLOCK_DATA_DIR's default: beside the vulnerability
// database.
func defaultDataDir() string {
	dir := os.Getenv("XDG_DATA_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "airlock-data"
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, "airlock")
}

// envNames maps configuration keys to their environment variables.
var envNames = map[string]string{
	"addr": "AIRLOCK_ADDR", "data_dir": "AIRLOCK_DATA_DIR", "database_url": "AIRLOCK_DATABASE_URL",
	"public_url": "AIRLOCK_PUBLIC_URL", "db": "AIRLOCK_DB", "scan_interval": "AIRLOCK_SCAN_INTERVAL",
	"discover_interval": "AIRLOCK_DISCOVER_INTERVAL", "health_interval": "AIRLOCK_HEALTH_INTERVAL", "gitlab_timeout": "AIRLOCK_GITLAB_TIMEOUT", "scan_workers": "AIRLOCK_SCAN_WORKERS",
	"scan_timeout": "AIRLOCK_SCAN_TIMEOUT", "fail_on": "AIRLOCK_FAIL_ON", "log_level": "AIRLOCK_LOG_LEVEL",
	"log_format": "AIRLOCK_LOG_FORMAT", "shutdown_timeout": "AIRLOCK_SHUTDOWN_TIMEOUT",
	"trusted_keys": "AIRLOCK_TRUSTED_KEYS", "change_poll_interval": "AIRLOCK_CHANGE_POLL_INTERVAL",
	"offline": "AIRLOCK_OFFLINE", "max_bundle_upload": "AIRLOCK_MAX_BUNDLE_UPLOAD",
}

// loadServerConfig applies the config file (--config or AIRLOCK_CONFIG)
// and the environment to the defaults; flags come after.
func loadServerConfig(args []string) (serverConfig, error) {
	c := defaultServerConfig()
	file := os.Getenv("AIRLOCK_CONFIG")
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
		c.configFile = file
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return c, fmt.Errorf("config %s: %s", file, policy.YAMLError(err))
		}
	}
	for key, env := range envNames {
		v, ok := os.LookupEnv(env)
		if !ok || v == "" {
			continue
		}
		// A plain scalar: YAML resolves it as the field's type (an integer,
		// a duration, a string) without the value being parsed as YAML.
		node := yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Value: key},
			{Kind: yaml.ScalarNode, Value: v},
		}}
		if err := node.Decode(&c); err != nil {
			return c, fmt.Errorf("%s=%q: %s", env, v, strings.TrimPrefix(policy.YAMLError(err), "line 0: "))
		}
	}
	if err := c.DataSync.fromEnv(); err != nil {
		return c, err
	}
	return c, nil
}

func (c *serverConfig) flags(fs *flag.FlagSet, serve bool) {
	fs.String("config", "", "YAML configuration file (env AIRLOCK_CONFIG); flags and environment override it")
	if serve {
		fs.StringVar(&c.Addr, "addr", c.Addr, "listen address (env AIRLOCK_ADDR)")
		fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "URL at which GitLab reaches this server, for webhooks (env AIRLOCK_PUBLIC_URL)")
		fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "on SIGTERM, how long running jobs may finish before they are re-queued (env AIRLOCK_SHUTDOWN_TIMEOUT)")
		fs.Int64Var(&c.MaxBundleUpload, "max-bundle-upload", c.MaxBundleUpload, "largest data bundle the server takes by upload, in bytes; larger ones get 413 (env AIRLOCK_MAX_BUNDLE_UPLOAD)")
	}
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "data directory: SQLite database, key file, scan workspaces (env AIRLOCK_DATA_DIR)")
	fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL, "PostgreSQL URL instead of SQLite (env AIRLOCK_DATABASE_URL)")
	fs.StringVar(&c.VulnDB, "db", c.VulnDB, "vulnerability database file (env AIRLOCK_DB)")
	fs.DurationVar(&c.ScanInterval, "scan-interval", c.ScanInterval, "re-scan selected projects' default branches this often; 0 disables (env AIRLOCK_SCAN_INTERVAL)")
	fs.DurationVar(&c.DiscoverInterval, "discover-interval", c.DiscoverInterval, "re-discover projects this often; 0 disables (env AIRLOCK_DISCOVER_INTERVAL)")
	fs.DurationVar(&c.ChangePollInterval, "change-poll-interval", c.ChangePollInterval, "poll integrations routed via agent without a webhook address for new commits and merge requests this often; 0 disables (env AIRLOCK_CHANGE_POLL_INTERVAL)")
	fs.DurationVar(&c.HealthInterval, "health-interval", c.HealthInterval, "re-test every GitLab integration this often (its status on the hub); 0 disables (env AIRLOCK_HEALTH_INTERVAL)")
	fs.DurationVar(&c.GitLabTimeout, "gitlab-timeout", c.GitLabTimeout, "wait this long for GitLab's answer to a call before giving up on it (retried as a timeout) (env AIRLOCK_GITLAB_TIMEOUT)")
	fs.IntVar(&c.ScanWorkers, "scan-workers", c.ScanWorkers, "scans run at once; 0 means one per core (env AIRLOCK_SCAN_WORKERS)")
	fs.DurationVar(&c.ScanTimeout, "scan-timeout", c.ScanTimeout, "limit for one scan, clone included (env AIRLOCK_SCAN_TIMEOUT)")
	fs.StringVar(&c.FailOn, "fail-on", c.FailOn, "lowest severity a merge request may introduce before its status fails: any, low, medium, high, critical, none (env AIRLOCK_FAIL_ON)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (env AIRLOCK_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "json or text (env AIRLOCK_LOG_FORMAT)")
	fs.BoolVar(&c.Offline, "offline", c.Offline, "refuse every outbound connection but to the configured GitLab instances, mirrors, data locations and agents, git included (env AIRLOCK_OFFLINE)")
}

func (c serverConfig) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, usageError{fmt.Sprintf("unknown log level %q: use debug, info, warn or error", c.LogLevel)}
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.LogFormat {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, usageError{fmt.Sprintf("unknown log format %q: use json or text", c.LogFormat)}
}

// platform is what serve and worker share: the store, the key, the scan
// engine's data and the job client.
type platform struct {
	keys    *bundle.Keyring
	store   *store.Store
	keyring *keyring.Keyring
	data    *serverData
	jobs    job.Config
}

func (p *platform) Close() {
	if p.data != nil {
		p.data.Close()
	}
	if p.store != nil {
		p.store.Close()
	}
}

func openPlatform(ctx context.Context, c serverConfig, log *slog.Logger) (*platform, error) {
	threshold, err := finding.ParseThreshold(c.FailOn)
	if err != nil {
		return nil, usageError{"--fail-on: " + err.Error()}
	}
	p := &platform{}
	if p.store, err = store.Open(ctx, store.Config{DatabaseURL: c.DatabaseURL, DataDir: c.DataDir}); err != nil {
		return nil, err
	}
	if p.keyring, err = keyring.Open(c.DataDir, os.Getenv("AIRLOCK_SECRET_KEY")); err != nil {
		p.Close()
		return nil, err
	}
	if prev := os.Getenv("AIRLOCK_SECRET_KEY_PREVIOUS"); prev != "" {
		if p.keyring, err = p.keyring.WithPrevious(prev); err != nil {
			p.Close()
			return nil, err
		}
	}
	rules, err := secret.NewDetector(secret.DefaultConfig())
	if err != nil {
		p.Close()
		return nil, err
	}
	lpol, err := license.ParsePolicy(c.configFile, &c.Licenses)
	if err != nil {
		p.Close()
		return nil, err
	}
	regs, err := serverRegistries(c)
	if err != nil {
		p.Close()
		return nil, err
	}
	integration.SetResponseTimeout(c.GitLabTimeout)
	p.jobs = job.Config{
		Store: p.store, Keyring: p.keyring, Logger: log, Rules: rules, Registries: regs, Licenses: lpol,
		WorkDir:     filepath.Join(c.DataDir, "work"),
		ScanTimeout: c.ScanTimeout, ScanInterval: c.ScanInterval, DiscoverInterval: c.DiscoverInterval,
		HealthInterval: healthInterval(c.HealthInterval),
		ScanWorkers:    c.ScanWorkers, FailOn: threshold,
		PublicURL: strings.TrimRight(c.PublicURL, "/"),
		HookURL:   server.HookBase(c.PublicURL),

		ChangePollInterval: c.ChangePollInterval,
	}
	var keys *bundle.Keyring
	if c.TrustedKeys != "" {
		if keys, err = bundle.LoadKeyring(c.TrustedKeys); err != nil {
			p.Close()
			return nil, err
		}
	}
	p.keys = keys
	if p.data, err = newServerData(ctx, p.store, c.VulnDB, keys, rules, log); err != nil {
		p.Close()
		return nil, err
	}
	if p.jobs.Fix, err = c.fixConfig(cmp.Or(c.configFile, "the configuration file")); err != nil {
		p.Close()
		return nil, err
	}
	p.jobs.Data = p.data.Current
	return p, nil
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := loadServerConfig(args)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("airlock serve", flag.ContinueOnError)
	c.flags(fs, true)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: airlock serve [flags]\n\nRuns the platform: the REST API, the GitLab webhook receiver, the scheduler and\nembedded scan workers. Settings come from flags, AIRLOCK_* environment variables\nand a YAML file (--config); flags win. See docs/cli.md.\n\nFlags:")
		fs.PrintDefaults()
	}
	if pos, err := parse(fs, args, stderr); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageError{fmt.Sprintf("serve takes no arguments (got %q)", pos[0])}
	}
	if c.MaxBundleUpload <= 0 {
		return usageError{fmt.Sprintf("max_bundle_upload (--max-bundle-upload, AIRLOCK_MAX_BUNDLE_UPLOAD) is %d: it must be a positive number of bytes", c.MaxBundleUpload)}
	}
	log, err := c.logger(stderr)
	if err != nil {
		return err
	}
	if c.PublicURL == "" {
		log.Warn("no --public-url: webhooks are not installed in GitLab, so pushes and merge requests are not scanned as they happen; scheduled scans still run")
	}
	return servePlatform(ctx, c, log, serveHooks{
		adminToken: os.Getenv("AIRLOCK_ADMIN_TOKEN"),
		listen:     func() (net.Listener, error) { return net.Listen("tcp", c.Addr) },
		tokenCreated: func(tok string) {
			fmt.Fprintf(stderr, "\nairlock: created the first admin API token. It is shown only this once; store it now:\n\n    %s\n\n", tok)
		},
	})
}

// serveHooks is where 'airlock serve' and 'airlock demo' differ.
type serveHooks struct {
	// listen opens the API's listener once the platform is ready.
	listen func() (net.Listener, error)
	// adminToken is registered as an admin token (AIRLOCK_ADMIN_TOKEN).
	adminToken string
	// tokenCreated receives the first admin token when the database had
	// none and adminToken is empty.
	tokenCreated func(token string)
	// started, when set, runs once the API answers at addr; its error
	// stops the server and is returned.
	started func(ctx context.Context, addr net.Addr) error
}

// servePlatform runs the platform until ctx ends: the API on the
// listener, the scheduler and the embedded workers.
func servePlatform(ctx context.Context, c serverConfig, log *slog.Logger, h serveHooks) error {
	p, err := openPlatform(ctx, c, log)
	if err != nil {
		return err
	}
	defer p.Close()
	created, err := server.Bootstrap(ctx, p.store, h.adminToken, time.Now())
	if err != nil {
		return err
	}
	if created != "" {
		h.tokenCreated(created)
	}
	// On-prem agents connect to this process; the scans of integrations
	// routed via agent run here (River's workers in this process) and
	// clone through the loopback relay.
	hub, err := tunnel.NewHub(tunnel.HubConfig{Authenticate: server.AgentAuthenticator(p.store, time.Now), Version: toolVersion(), Logger: log})
	if err != nil {
		return err
	}
	defer hub.Close()
	relay, err := hub.StartRelay()
	if err != nil {
		return err
	}
	defer relay.Close()
	p.jobs.Agents, p.jobs.Relay = hub, relay
	online, err := goOffline(c, p, log, relay.URL)
	if err != nil {
		return err
	}
	defer online()
	client, err := job.NewClient(p.jobs, true)
	if err != nil {
		return err
	}
	ready := func(context.Context) error {
		select {
		case <-client.Stopped():
			return errors.New("the job workers have stopped")
		default:
			return nil
		}
	}
	srv, err := server.New(server.Config{Store: p.store, Keyring: p.keyring, Jobs: client, Logger: log, PublicURL: c.PublicURL, Version: toolVersion(), Ready: ready, Data: p.data, Agents: hub, MaxBundleUpload: c.MaxBundleUpload})
	if err != nil {
		return err
	}
	ln, err := h.listen()
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Addr, err)
	}
	jobsCtx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer stopJobs()
	if err := client.Start(jobsCtx); err != nil {
		ln.Close()
		return fmt.Errorf("start workers: %w", err)
	}
	netx.Observe(srv.ObserveEgress)
	defer netx.Observe(nil)
	if so, err := c.DataSync.options(p.keys); err != nil {
		ln.Close()
		return usageError{err.Error()}
	} else if so != nil {
		if p.keys == nil {
			log.Warn("data_sync without trusted_keys: signed bundles at the sync locations are refused; OSV archives are imported")
		}
		go p.data.syncLoop(jobsCtx, c.DataSync.URLs, c.DataSync.Interval, *so)
		log.Info("data sync scheduled", "urls", len(c.DataSync.URLs), "interval", cmp.Or(c.DataSync.Interval, defaultSyncInterval).String())
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	log.Info("airlock serving", "addr", ln.Addr().String(), "database", p.store.Where(), "version", toolVersion())
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	var startErr error
	if h.started != nil {
		startErr = h.started(ctx, ln.Addr())
	}
	if startErr == nil {
		select {
		case err := <-served:
			return err
		case <-ctx.Done():
		}
	}
	log.Info("shutting down: finishing requests and running jobs", "timeout", c.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	hs.Shutdown(sctx)
	return cmp.Or(startErr, stopClient(sctx, client, log))
}

// stopClient lets running jobs finish until ctx ends, then cancels them:
// River puts cancelled jobs back to be retried, by this process when it
// starts again or by another worker.
type stopper interface {
	Stop(context.Context) error
	StopAndCancel(context.Context) error
}

func stopClient(ctx context.Context, c stopper, log *slog.Logger) error {
	if err := c.Stop(ctx); err != nil {
		log.Warn("jobs still running at the shutdown deadline: cancelled, they will be retried", "error", err.Error())
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return c.StopAndCancel(cctx)
	}
	log.Info("stopped")
	return nil
}

func cmdWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := loadServerConfig(args)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("airlock worker", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: airlock worker [flags]\n\nRuns extra scan workers against the server's PostgreSQL (--database-url) with the\nserver's AIRLOCK_SECRET_KEY. See docs/cli.md.\n\nFlags:")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "the server's public URL, for links and webhooks (env AIRLOCK_PUBLIC_URL)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "on SIGTERM, how long running jobs may finish before they are re-queued (env AIRLOCK_SHUTDOWN_TIMEOUT)")
	c.flags(fs, false)
	if pos, err := parse(fs, args, stderr); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageError{fmt.Sprintf("worker takes no arguments (got %q)", pos[0])}
	}
	if c.DatabaseURL == "" {
		return usageError{"worker needs the server's PostgreSQL: set --database-url or AIRLOCK_DATABASE_URL (SQLite is for a single 'airlock serve')"}
	}
	if os.Getenv("AIRLOCK_SECRET_KEY") == "" {
		return usageError{"worker needs the server's key to open GitLab tokens: set AIRLOCK_SECRET_KEY to the value the server uses"}
	}
	log, err := c.logger(stderr)
	if err != nil {
		return err
	}
	p, err := openPlatform(ctx, c, log)
	if err != nil {
		return err
	}
	defer p.Close()
	online, err := goOffline(c, p, log)
	if err != nil {
		return err
	}
	defer online()
	netx.Observe(func(d netx.Dial) {
		if d.Denied {
			log.Warn("outbound connection refused: the destination is not in the configuration", "addr", d.Addr)
		}
	})
	defer netx.Observe(nil)
	client, err := job.NewClient(p.jobs, true)
	if err != nil {
		return err
	}
	jobsCtx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer stopJobs()
	if err := client.Start(jobsCtx); err != nil {
		return fmt.Errorf("start workers: %w", err)
	}
	log.Info("airlock worker running", "database", p.store.Where(), "version", toolVersion())
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	return stopClient(sctx, client, log)
}

// healthInterval maps the flag (0 disables) to job.Config's (negative
// disables, 0 is the default).
func healthInterval(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}
