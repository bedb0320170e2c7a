package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	samples "github.com/airlock-sec/airlock"
	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/vulndb"
)

// demoDeployScript and demoReleaseEnv leak credentials: an AWS access key
// ID and a GitLab access token (both made up; they open nothing).
const (
	demoDeployScript = `#!/bin/sh
# deploy the shop to the staging account
export AWS_ACCESS_KEY_ID=AKIAXIJN2JZPW6W5AJX7
export AWS_DEFAULT_REGION=eu-west-1
aws s3 sync ./dist s3://shop-staging-assets
`
	demoReleaseEnv = `# used by the release job
GITLAB_TOKEN=glpat-Xr7vQ2mK9pL4sT8wYz3B
`
	// demoTerraform opens SSH to the internet and makes a bucket public.
	demoTerraform = `resource "aws_security_group" "bastion" {
  name = "bastion"

  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_s3_bucket" "assets" {
  bucket = "shop-assets"
  acl    = "public-read"
}
`
)

// demoGoMod is testdata/repo40/api/go.mod (a test keeps them equal): a
// directory holding a go.mod is a module of its own, which go:embed leaves
// out of samples.SampleRepo.
const demoGoMod = `module example.com/airlock/sample/api

go 1.20

require (
	github.com/gin-gonic/gin v1.6.0
	github.com/gorilla/websocket v1.4.0
	golang.org/x/net v0.0.0-20210226172049-e18ecbb05110
	golang.org/x/crypto v0.0.0-20200622213623-75b288015ac9
	golang.org/x/text v0.3.5
	gopkg.in/yaml.v2 v2.2.2
	github.com/dgrijalva/jwt-go v3.2.0+incompatible
	github.com/prometheus/client_golang v1.11.0
	github.com/miekg/dns v1.1.25
	github.com/docker/distribution v2.7.1+incompatible
	github.com/opencontainers/runc v1.0.0-rc9
	github.com/tidwall/gjson v1.6.0
	github.com/labstack/echo/v4 v4.1.17
	github.com/go-ldap/ldap/v3 v3.1.3
)

require (
	github.com/gogo/protobuf v1.3.1 // indirect
	google.golang.org/protobuf v1.26.0 // indirect
)
`

// demoTimeout bounds the setup: import, discovery and the first scans.
const demoTimeout = 3 * time.Minute

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("airlock demo", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address of the API: a loopback address (127.0.0.1:0 picks a free port)")
	logLevel := fs.String("log-level", "warn", "the server's log on standard error: debug, info, warn or error")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: airlock demo [flags]\n\nRuns the platform on this machine against a built-in GitLab stand-in holding sample\nprojects (vulnerable Go, Python and Rust dependencies, leaked tokens, a Terraform\nmisconfiguration), with the sample vulnerability data built into the binary. It\nconnects, scans, prints the URL and an admin API token, and serves until\ninterrupted; everything it made is deleted then. Needs git. See docs/cli.md.\n\nFlags:")
		fs.PrintDefaults()
	}
	if pos, err := parse(fs, args, stderr); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageError{fmt.Sprintf("demo takes no arguments (got %q)", pos[0])}
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return usageError{fmt.Sprintf("--addr %q: %v (use HOST:PORT, such as 127.0.0.1:8080)", *addr, err)}
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return usageError{fmt.Sprintf("--addr %q: the demo serves only on a loopback address (127.0.0.1, ::1, localhost): its GitLab stand-in and token are for this machine", *addr)}
	}
	c := defaultServerConfig()
	c.Addr = *addr
	c.LogLevel, c.LogFormat = *logLevel, "text"
	c.ScanInterval, c.DiscoverInterval = 0, 0
	log, err := c.logger(stderr)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "airlock-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	c.DataDir = filepath.Join(dir, "data")
	c.VulnDB = filepath.Join(dir, "vulndb.sqlite")

	records, err := demoImport(ctx, dir, c.VulnDB)
	if err != nil {
		return fmt.Errorf("demo: import the sample vulnerability data: %w", err)
	}
	gl, glToken, projects, err := demoGitLab(stderr)
	if err != nil {
		return fmt.Errorf("demo: GitLab stand-in: %w", err)
	}
	defer gl.Close()

	var admin string
	return servePlatform(ctx, c, log, serveHooks{
		listen:       func() (net.Listener, error) { return net.Listen("tcp", c.Addr) },
		tokenCreated: func(tok string) { admin = tok },
		started: func(ctx context.Context, a net.Addr) error {
			if admin == "" {
				return errors.New("demo: the fresh database has no admin token")
			}
			base := "http://" + a.String()
			sctx, cancel := context.WithTimeout(ctx, demoTimeout)
			defer cancel()
			counts, err := demoConnect(sctx, base, admin, gl.URL, glToken, len(projects))
			if err != nil {
				if ctx.Err() != nil {
					return nil // interrupted during the setup
				}
				return fmt.Errorf("demo: %w", err)
			}
			demoBanner(stdout, base, admin, gl.URL, projects, records, counts, demoHasPage(sctx, base+"/login"))
			return nil
		},
	})
}

// demoImport writes the embedded OSV sample under dir and imports it into
// the database at db; it returns the number of records.
func demoImport(ctx context.Context, dir, db string) (int, error) {
	var paths []string
	err := fs.WalkDir(samples.OSVSample, "testdata/osv-sample", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".zip") {
			return err
		}
		b, err := samples.OSVSample.ReadFile(p)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(p, "testdata/")))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return err
		}
		paths = append(paths, dst)
		return os.WriteFile(dst, b, 0o600)
	})
	if err != nil {
		return 0, err
	}
	if len(paths) == 0 {
		return 0, errors.New("the binary carries no OSV archive (testdata/osv-sample)")
	}
	d, err := vulndb.Open(ctx, db, vulndb.Options{Create: true})
	if err != nil {
		return 0, err
	}
	defer d.Close()
	reports, err := d.Import(ctx, paths, vulndb.ImportOptions{})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range reports {
		n += r.Source.Records
	}
	return n, nil
}

// demoProject is a sample project of the stand-in.
type demoProject struct {
	path, shows string
	files       map[string]string
}

func demoProjects() ([]demoProject, error) {
	platform := map[string]string{}
	err := fs.WalkDir(samples.SampleRepo, "testdata/repo40", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := samples.SampleRepo.ReadFile(p)
		platform[strings.TrimPrefix(p, "testdata/repo40/")] = string(b)
		return err
	})
	if err != nil {
		return nil, err
	}
	platform["api/go.mod"] = demoGoMod
	return []demoProject{
		{"demo/platform", "vulnerable Go, Python and Rust dependencies; .airlock.yaml ignores one", platform},
		{"demo/deploy-scripts", "an AWS access key and a GitLab token committed", map[string]string{"deploy.sh": demoDeployScript, "release.env": demoReleaseEnv}},
		{"demo/infra", "Terraform: SSH open to the internet, a public bucket", map[string]string{"main.tf": demoTerraform}},
	}, nil
}

// demoGitLab starts the stand-in with the sample projects and a
// maintainer's token that sees them.
func demoGitLab(log io.Writer) (*gitlabtest.Server, string, []demoProject, error) {
	projects, err := demoProjects()
	if err != nil {
		return nil, "", nil, err
	}
	gl, err := gitlabtest.Standalone(log)
	if err != nil {
		return nil, "", nil, err
	}
	token := "glpat-demo-" + strings.ToLower(rand.Text())
	err = gl.Setup(func() {
		u := gl.AddUser(gitlabtest.User{Username: "airlock-bot", Name: "airlock demo bot"})
		gl.AddToken(gitlabtest.Token{Value: token, UserID: u.ID, Scopes: []string{gitlabtest.ScopeAPI, gitlabtest.ScopeReadRepository, gitlabtest.ScopeWriteRepository}})
		for _, p := range projects {
			gp := gl.AddProject(gitlabtest.Project{Path: p.path, Description: p.shows, Members: map[int]gitlabtest.AccessLevel{u.ID: gitlabtest.Maintainer}})
			gl.InitRepo(gp, p.files)
		}
	})
	if err != nil {
		gl.Close()
		return nil, "", nil, err
	}
	return gl, token, projects, nil
}

// demoAPI is a client of the demo's own API.
type demoAPI struct {
	base, token string
	client      *http.Client
}

func (a demoAPI) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(b))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// demoCounts is the open findings by kind.
type demoCounts map[string]int

// demoConnect connects the stand-in through the API, which discovers the
// projects and queues their first scans, and waits for those scans.
func demoConnect(ctx context.Context, base, admin, glURL, glToken string, nProjects int) (demoCounts, error) {
	api := demoAPI{base: base, token: admin, client: &http.Client{Timeout: time.Minute}}
	var in struct {
		ID int64 `json:"id"`
	}
	err := api.call(ctx, http.MethodPost, "/api/v1/integrations", map[string]any{
		"name": "demo-gitlab", "url": glURL, "token": glToken, "selection": "all_future",
	}, &in)
	if err != nil {
		return nil, fmt.Errorf("connect the GitLab stand-in: %w", err)
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		var scans struct {
			Items []struct {
				ProjectID int64  `json:"project_id"`
				Status    string `json:"status"`
				Error     string `json:"error"`
			} `json:"items"`
		}
		if err := api.call(ctx, http.MethodGet, "/api/v1/scans?limit=100", nil, &scans); err != nil {
			return nil, err
		}
		done := map[int64]bool{}
		for _, s := range scans.Items {
			switch s.Status {
			case "succeeded":
				done[s.ProjectID] = true
			case "failed":
				return nil, fmt.Errorf("the scan of project %d failed: %s", s.ProjectID, s.Error)
			}
		}
		if len(done) >= nProjects {
			break
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%d of %d sample projects scanned when the setup gave up: %w", len(done), nProjects, context.Cause(ctx))
		case <-tick.C:
		}
	}
	counts := demoCounts{}
	after := int64(0)
	for {
		var page struct {
			Items []struct {
				ID   int64  `json:"id"`
				Kind string `json:"kind"`
			} `json:"items"`
		}
		q := url.Values{"state": {"open"}, "limit": {"500"}, "after": {fmt.Sprint(after)}}
		if err := api.call(ctx, http.MethodGet, "/api/v1/findings?"+q.Encode(), nil, &page); err != nil {
			return nil, err
		}
		for _, f := range page.Items {
			counts[f.Kind]++
			after = max(after, f.ID)
		}
		if len(page.Items) == 0 {
			return counts, nil
		}
	}
}

// demoHasPage reports whether the server answers 200 at u: the web UI's
// sign-in page, where the server has one.
func demoHasPage(ctx context.Context, u string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func demoBanner(w io.Writer, base, admin, glURL string, projects []demoProject, records int, counts demoCounts, login bool) {
	fmt.Fprintf(w, "\nairlock demo is running at %s\n\n", base)
	fmt.Fprintf(w, "GitLab stand-in at %s, connected and scanned:\n", glURL)
	for _, p := range projects {
		fmt.Fprintf(w, "  %-22s %s\n", p.path, p.shows)
	}
	fmt.Fprintf(w, "Vulnerability data: %d OSV records (testdata/osv-sample, built in).\n", records)
	kinds := make([]string, 0, len(counts))
	for k := range counts {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	var parts []string
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
	}
	fmt.Fprintf(w, "Open findings: %s.\n\n", strings.Join(parts, ", "))
	if login {
		fmt.Fprintf(w, "Sign in at %s/login with this admin API token (or send it as a Bearer token):\n\n    %s\n\n", base, admin)
	} else {
		fmt.Fprintf(w, "Admin API token (send it as a Bearer token):\n\n    %s\n\n", admin)
	}
	fmt.Fprintf(w, "Try:\n  curl -H 'Authorization: Bearer %s' '%s/api/v1/findings?kind=secret'\n", admin, base)
	fmt.Fprintf(w, "  curl -H 'Authorization: Bearer %s' '%s/api/v1/projects'\n\n", admin, base)
	fmt.Fprintln(w, "Press Ctrl+C to stop; the demo's data is deleted then.")
}
