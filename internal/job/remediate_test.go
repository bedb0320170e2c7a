package job_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/analyzer"
	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/fix"
	"github.com/airlock-sec/airlock/internal/gitlab"
	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/job"
	"github.com/airlock-sec/airlock/internal/netx"
	"github.com/airlock-sec/airlock/internal/registry"
	"github.com/airlock-sec/airlock/internal/scan"
	"github.com/airlock-sec/airlock/internal/source"
	"github.com/airlock-sec/airlock/internal/vuln"
	"github.com/airlock-sec/airlock/internal/vulndb"
)

const goProxy = "https://proxy.golang.org"

// TestRemediateEndToEnd: a repository on the GitLab stand-in pinning
// golang.org/x/net v0.17.0 is cloned, scanned and planned against the
// real Go module proxy; Remediate opens one merge request whose branch,
// cloned, builds with go build ./... from its go.mod and go.sum alone and
// no longer matches any x/net advisory; a re-run opens no duplicate and
// pushes nothing; once main is fixed by other means the merge request is
// closed with a note.
func TestRemediateEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("uses proxy.golang.org; skipped with -short")
	}
	for _, tool := range []string{"go", "git"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip(tool + " is not installed")
		}
	}
	if resp, err := (&http.Client{Timeout: 10 * time.Second}).Head(goProxy + "/golang.org/x/net/@v/list"); err != nil {
		t.Skipf("%s not reachable: %v", goProxy, err)
	} else {
		resp.Body.Close()
	}
	zip := filepath.Join("..", "..", "..", "shared", "data", "osv", "Go", "all.zip")
	if _, err := os.Stat(zip); err != nil {
		t.Skipf("shared OSV data not found at %s (it lives in ../shared beside the repository)", zip)
	}
	ctx := context.Background()
	db, err := vulndb.Open(ctx, filepath.Join(t.TempDir(), "v.db"), vulndb.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Import(ctx, []string{zip}, vulndb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}

	srv := gitlabtest.New(t)
	bot := srv.AddUser(gitlabtest.User{Username: "airlock-bot"})
	srv.AddToken(gitlabtest.Token{UserID: bot.ID, Value: "glpat-bot", Scopes: []string{"api", "read_repository", "write_repository"}})
	p := srv.AddProject(gitlabtest.Project{Path: "team/svc", Members: map[int]gitlabtest.AccessLevel{bot.ID: gitlabtest.Developer}})
	files := map[string]string{}
	fixture := filepath.Join("..", "fix", "testdata", "gomod-xnet")
	ents, _ := os.ReadDir(fixture)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(fixture, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[strings.TrimSuffix(e.Name(), ".txt")] = string(b)
	}
	srv.InitRepo(p, files)

	base, _ := url.Parse(srv.URL)
	hc, err := netx.NewClient(netx.Config{Allow: []string{base.Hostname()}})
	if err != nil {
		t.Fatal(err)
	}
	gl, err := gitlab.New(gitlab.Config{BaseURL: srv.URL, Token: "glpat-bot", HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	clone := func(ref string) string {
		t.Helper()
		ws, err := source.Clone(ctx, source.CloneOptions{URL: srv.URL + "/team/svc.git", Ref: ref, Depth: 1, Dir: t.TempDir(),
			Env: gitlab.GitAuthEnv(base, "glpat-bot", gitlab.TokenPersonal)})
		if err != nil {
			t.Fatal(err)
		}
		return ws.Dir
	}
	xnet := func(dir string) int {
		t.Helper()
		opts, err := scan.Assemble(scan.Assembly{Names: []string{"vuln"}, Env: analyzer.Env{VulnDB: db}})
		if err != nil {
			t.Fatal(err)
		}
		res, err := scan.Run(ctx, dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, f := range res.Findings {
			if f.Kind == finding.KindVulnerability && f.Package != nil && f.Package.Name == "golang.org/x/net" {
				n++
			}
		}
		return n
	}
	reg, err := registry.New(registry.Config{CacheDir: t.TempDir(), Mirrors: map[string]registry.Mirror{"go": {URL: goProxy}}})
	if err != nil {
		t.Fatal(err)
	}
	plan := func(dir string) []fix.Plan {
		t.Helper()
		opts, _ := scan.Assemble(scan.Assembly{Names: []string{"vuln"}, Env: analyzer.Env{VulnDB: db}})
		res, err := scan.Run(ctx, dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		changes, err := (&fix.Planner{Registry: reg, Matcher: vuln.NewMatcher(db)}).Plan(ctx, res.Findings)
		if err != nil {
			t.Fatal(err)
		}
		plans := fix.Group(changes, fix.PerPackage)
		a := &fix.Applier{Root: dir, Mirror: reg.Mirror, Registry: reg, Env: os.Environ(), Timeout: 3 * time.Minute}
		for i := range plans {
			if err := a.Apply(ctx, &plans[i]); err != nil {
				t.Fatal(err)
			}
			if plans[i].Failed != "" {
				t.Fatalf("%s: %s\n%s", plans[i].Title, plans[i].Failed, plans[i].ToolOutput)
			}
		}
		return plans
	}
	pid := int64(p.ID)
	opts := job.RemediateOptions{Target: "main"}

	main := clone("main")
	if xnet(main) == 0 {
		t.Fatal("the fixture has no x/net finding")
	}
	plans := plan(main)
	if len(plans) != 1 || plans[0].Branch() != "airlock/fix/go-golang.org-x-net" {
		t.Fatalf("plans: %+v", plans)
	}
	res, err := job.Remediate(ctx, gl, pid, plans, opts)
	if err != nil {
		t.Fatal(err)
	}
	mr := res.MRs["airlock/fix/go-golang.org-x-net"]
	if !mr.Created || !mr.Pushed {
		t.Fatalf("first run: %+v", res)
	}
	mrs := srv.MergeRequests(p)
	if len(mrs) != 1 || mrs[0].TargetBranch != "main" || !strings.Contains(mrs[0].Description, fix.Marker) ||
		!strings.Contains(mrs[0].Description, "| `golang.org/x/net` | `go.mod` | v0.17.0 | "+plans[0].Changes[0].To) ||
		!strings.Contains(mrs[0].Description, "GO-2024-2687") || !strings.Contains(mrs[0].Description, "$ go get golang.org/x/net@") {
		t.Fatalf("merge requests: %+v", mrs)
	}

	// The branch, checked out, builds from its go.mod and go.sum alone and
	// no longer matches.
	branch := clone("airlock/fix/go-golang.org-x-net")
	build := exec.Command("go", "build", "./...")
	build.Dir = branch
	build.Env = append(os.Environ(), "GOFLAGS=-mod=readonly", "GOPROXY=off", "GOTOOLCHAIN=local", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build on the fix branch: %v\n%s", err, out)
	}
	if n := xnet(branch); n != 0 {
		t.Errorf("the fix branch still has %d x/net findings", n)
	}

	// A re-run from a fresh clone opens nothing new and pushes nothing.
	res, err = job.Remediate(ctx, gl, pid, plan(clone("main")), opts)
	if err != nil {
		t.Fatal(err)
	}
	if mr := res.MRs["airlock/fix/go-golang.org-x-net"]; mr.Created || mr.Pushed || len(srv.MergeRequests(p)) != 1 {
		t.Fatalf("re-run: %+v, %d merge requests", res, len(srv.MergeRequests(p)))
	}

	// Someone fixes main another way: the merge request is obsolete.
	fixed, _ := os.ReadFile(filepath.Join(branch, "go.mod"))
	sum, _ := os.ReadFile(filepath.Join(branch, "go.sum"))
	srv.Commit(p, "main", map[string]string{"go.mod": string(fixed), "go.sum": string(sum)}, "upgrade x/net by hand")
	res, err = job.Remediate(ctx, gl, pid, plan(clone("main")), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Closed) != 1 || len(res.MRs) != 0 {
		t.Fatalf("after main was fixed: %+v", res)
	}
	if st := srv.MergeRequests(p)[0].State; st != gitlabtest.MRClosed {
		t.Errorf("merge request %s, want closed", st)
	}
	notes := srv.Notes(p, srv.MergeRequests(p)[0].IID)
	if len(notes) == 0 || !strings.Contains(notes[len(notes)-1].Body, "no longer needed") {
		t.Errorf("notes: %+v", notes)
	}
}
