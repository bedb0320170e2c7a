package store_test

import (
	"context"
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
)

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

func newIntegration(t *testing.T, q store.Queries) store.Integration {
	t.Helper()
	in := store.Integration{Name: "gl", URL: "https://gitlab.example.com", TokenKind: "personal", TokenSealed: []byte{1, 2, 3}, WebhookSealed: []byte{4}, Selection: store.SelectAll}
	if err := q.CreateIntegration(context.Background(), &in, t0); err != nil {
		t.Fatal(err)
	}
	return in
}

func newProject(t *testing.T, q store.Queries, integrationID, gitlabID int64) store.Project {
	t.Helper()
	p := store.Project{IntegrationID: integrationID, GitLabID: gitlabID, Path: "g/p", WebURL: "https://gitlab.example.com/g/p", HTTPURL: "https://gitlab.example.com/g/p.git", DefaultBranch: "main", AccessLevel: 40, Selected: true}
	if _, err := q.UpsertProject(context.Background(), &p, t0); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMigrationsIdempotent(t *testing.T) {
	for _, d := range storetest.Engines() {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			c := storetest.Config(t, d)
			for i := 0; i < 2; i++ {
				s, err := store.Open(ctx, c)
				if err != nil {
					t.Fatalf("open %d: %v", i, err)
				}
				v, err := s.SchemaVersion(ctx)
				if err != nil || v < 1 {
					t.Fatalf("schema version %d, %v", v, err)
				}
				s.Close()
			}
		})
	}
}

func TestTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		tok, err := s.CreateToken(ctx, "admin", store.RoleAdmin, "h1", "alk_abcd", t0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateToken(ctx, "again", store.RoleViewer, "h1", "alk_abcd", t0); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate hash: %v, want ErrConflict", err)
		}
		got, err := s.TokenByHash(ctx, "h1")
		if err != nil || got.ID != tok.ID || got.Role != store.RoleAdmin {
			t.Fatalf("TokenByHash = %+v, %v", got, err)
		}
		if _, err := s.TokenByHash(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown hash: %v", err)
		}
		if err := s.TouchToken(ctx, tok.ID, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		got, _ = s.TokenByHash(ctx, "h1")
		if got.LastUsedAt == nil || !got.LastUsedAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("last used %v", got.LastUsedAt)
		}
		if n, _ := s.CountTokens(ctx, store.RoleAdmin); n != 1 {
			t.Fatalf("admins %d", n)
		}
		if err := s.DeleteToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteToken(ctx, tok.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
	})
}

func TestIntegrationRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		in := newIntegration(t, s.Queries)
		hook := int64(7)
		checked := t0.Add(time.Minute)
		in.Selection, in.SelectedIDs, in.SystemHookID, in.Check, in.CheckedAt = store.SelectList, []int64{3, 1}, &hook, []byte(`{"ok":true}`), &checked
		in.ViaAgent = true
		if err := s.UpdateIntegration(ctx, &in, t0.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		got, err := s.Integration(ctx, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(in, got); diff != "" {
			t.Errorf("(-want +got)\n%s", diff)
		}
		if _, err := s.Integration(ctx, in.ID+100); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing integration: %v", err)
		}
	})
}

func TestProjectsDiscovery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		in := newIntegration(t, s.Queries)
		p1 := newProject(t, s.Queries, in.ID, 101)
		newProject(t, s.Queries, in.ID, 102)
		// A second discovery renames 101 and no longer sees 102.
		later := t0.Add(time.Hour)
		again := store.Project{IntegrationID: in.ID, GitLabID: 101, Path: "g/renamed", WebURL: "w", HTTPURL: "h", DefaultBranch: "trunk", AccessLevel: 30}
		created, err := s.UpsertProject(ctx, &again, later)
		if err != nil || created {
			t.Fatalf("upsert existing: created=%v err=%v", created, err)
		}
		if again.ID != p1.ID || !again.Selected {
			t.Fatalf("upsert lost identity or selection: %+v", again)
		}
		if n, err := s.HideUnseen(ctx, in.ID, later); err != nil || n != 1 {
			t.Fatalf("HideUnseen = %d, %v", n, err)
		}
		yes := true
		vis, _ := s.Projects(ctx, store.ProjectFilter{IntegrationID: in.ID, Visible: &yes})
		if len(vis) != 1 || vis[0].Path != "g/renamed" || vis[0].DefaultBranch != "trunk" || vis[0].AccessLevel != 30 {
			t.Fatalf("visible projects %+v", vis)
		}
		if got, _ := s.Projects(ctx, store.ProjectFilter{Search: "RENAMED"}); len(got) != 1 {
			t.Fatalf("search found %d", len(got))
		}
		hook := int64(9)
		if err := s.SetHook(ctx, p1.ID, &hook, store.HookRegistered, ""); err != nil {
			t.Fatal(err)
		}
		got, _ := s.ProjectByGitLabID(ctx, in.ID, 101)
		if got.HookID == nil || *got.HookID != 9 || got.HookStatus != store.HookRegistered {
			t.Fatalf("hook not recorded: %+v", got)
		}
	})
}

func TestEventsDeduplicated(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		in := newIntegration(t, s.Queries)
		e := store.WebhookEvent{IntegrationID: in.ID, DeliveryKey: "k1", Event: "Push Hook", ReceivedAt: t0, Payload: "{}"}
		if ok, err := s.RecordEvent(ctx, &e); !ok || err != nil {
			t.Fatalf("first: %v %v", ok, err)
		}
		dup := e
		dup.ID = 0
		if ok, err := s.RecordEvent(ctx, &dup); ok || err != nil {
			t.Fatalf("duplicate: %v %v", ok, err)
		}
		evs, _ := s.Events(ctx, in.ID, 10)
		if len(evs) != 1 {
			t.Fatalf("%d events", len(evs))
		}
		if n, _ := s.PruneEvents(ctx, t0.Add(time.Second)); n != 1 {
			t.Fatalf("pruned %d", n)
		}
	})
}

func fnd(fp, id string, sev finding.Severity) finding.Finding {
	return finding.Finding{Kind: finding.KindVulnerability, ID: id, Severity: sev, Title: id, Fingerprint: fp, Location: finding.Location{Path: "go.mod", StartLine: 3}}
}

func TestFindingLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		in := newIntegration(t, s.Queries)
		p := newProject(t, s.Queries, in.ID, 1)
		scan := func(fs ...finding.Finding) (store.Scan, store.Diff) {
			t.Helper()
			sc := store.Scan{ProjectID: p.ID, Trigger: store.TriggerPush, Branch: "main"}
			var d store.Diff
			err := s.InTx(ctx, func(tx *store.Tx) error {
				if err := tx.CreateScan(ctx, &sc, t0); err != nil {
					return err
				}
				var err error
				d, err = tx.RecordFindings(ctx, p.ID, "main", sc.ID, fs, t0)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range [][]string{d.New, d.Existing, d.Fixed} {
				sort.Strings(l)
			}
			return sc, d
		}
		_, d := scan(fnd("a", "GO-1", finding.High), fnd("b", "GO-2", finding.Low))
		if diff := cmp.Diff(store.Diff{New: []string{"a", "b"}}, d); diff != "" {
			t.Fatalf("first scan (-want +got)\n%s", diff)
		}
		s2, d := scan(fnd("b", "GO-2", finding.Low), fnd("c", "GO-3", finding.Critical))
		if diff := cmp.Diff(store.Diff{New: []string{"c"}, Existing: []string{"b"}, Fixed: []string{"a"}}, d); diff != "" {
			t.Fatalf("second scan (-want +got)\n%s", diff)
		}
		_, d = scan(fnd("a", "GO-1", finding.High), fnd("b", "GO-2", finding.Low), fnd("c", "GO-3", finding.Critical))
		if diff := cmp.Diff(store.Diff{New: []string{"a"}, Existing: []string{"b", "c"}}, d); diff != "" {
			t.Fatalf("regression (-want +got)\n%s", diff)
		}
		open, _ := s.OpenFingerprints(ctx, p.ID, "main")
		if len(open) != 3 {
			t.Fatalf("open %v", open)
		}
		if err := s.Dismiss(ctx, p.ID, "b", store.Dismissal{Reason: "test fixture", Actor: "token:1", CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		dis, _ := s.Findings(ctx, store.FindingFilter{ProjectID: p.ID, State: store.FindingDismissed})
		if len(dis) != 1 || dis[0].Fingerprint != "b" || dis[0].Dismissal.Reason != "test fixture" {
			t.Fatalf("dismissed %+v", dis)
		}
		op, _ := s.Findings(ctx, store.FindingFilter{ProjectID: p.ID, State: store.FindingOpen})
		if len(op) != 2 {
			t.Fatalf("open after dismissal: %d", len(op))
		}
		if err := s.Reopen(ctx, p.ID, "b"); err != nil {
			t.Fatal(err)
		}
		if err := s.Reopen(ctx, p.ID, "b"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second reopen: %v", err)
		}
		c, _ := s.Findings(ctx, store.FindingFilter{Fingerprints: []string{"c"}})
		if len(c) != 1 || c[0].FirstScanID != s2.ID || c[0].Severity != "critical" {
			t.Fatalf("finding c %+v", c)
		}
		one, err := s.Finding(ctx, c[0].ID)
		if err != nil || string(one.Data) == "" {
			t.Fatalf("Finding: %v", err)
		}
		last, err := s.LastScan(ctx, p.ID, "main")
		if err == nil {
			t.Fatalf("LastScan returned a queued scan %+v", last)
		}
	})
}

func TestDeleteIntegrationCascades(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		in := newIntegration(t, s.Queries)
		p := newProject(t, s.Queries, in.ID, 1)
		sc := store.Scan{ProjectID: p.ID, Trigger: store.TriggerManual, Branch: "main"}
		if err := s.CreateScan(ctx, &sc, t0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RecordFindings(ctx, p.ID, "main", sc.ID, []finding.Finding{fnd("a", "X", finding.High)}, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.Dismiss(ctx, p.ID, "a", store.Dismissal{Reason: "r", Actor: "a", CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetNoteID(ctx, p.ID, 5, 77, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteIntegration(ctx, in.ID); err != nil {
			t.Fatal(err)
		}
		for _, table := range []string{"project", "scan", "finding", "dismissal", "mr_note", "webhook_event"} {
			var n int
			if err := s.DB().QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil || n != 0 {
				t.Errorf("%s: %d rows left, %v", table, n, err)
			}
		}
	})
}

func TestScanFinish(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		in := newIntegration(t, s.Queries)
		p := newProject(t, s.Queries, in.ID, 1)
		iid := int64(4)
		mr := store.Scan{ProjectID: p.ID, Trigger: store.TriggerMergeRequest, Branch: "feature", MRIID: &iid, TargetBranch: "main"}
		push := store.Scan{ProjectID: p.ID, Trigger: store.TriggerPush, Branch: "main"}
		for _, sc := range []*store.Scan{&push, &mr} {
			if err := s.CreateScan(ctx, sc, t0); err != nil {
				t.Fatal(err)
			}
			if err := s.StartScan(ctx, sc.ID, t0); err != nil {
				t.Fatal(err)
			}
			sc.Status, sc.SHA, sc.FindingsTotal, sc.Introduced = store.ScanSucceeded, "abc", 2, []string{"x"}
			if err := s.FinishScan(ctx, sc, t0.Add(time.Second)); err != nil {
				t.Fatal(err)
			}
		}
		last, err := s.LastScan(ctx, p.ID, "main")
		if err != nil || last.ID != push.ID {
			t.Fatalf("LastScan = %+v, %v", last, err)
		}
		got, _ := s.Scan(ctx, mr.ID)
		if got.Status != store.ScanSucceeded || got.MRIID == nil || *got.MRIID != 4 || len(got.Introduced) != 1 || got.FinishedAt == nil {
			t.Fatalf("scan %+v", got)
		}
		list, _ := s.Scans(ctx, store.ScanFilter{ProjectID: p.ID, Limit: 1})
		if len(list) != 1 || list[0].ID != mr.ID {
			t.Fatalf("newest scan first: %+v", list)
		}
	})
}

func TestNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	c := storetest.Config(t, store.SQLite)
	s, err := store.Open(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().Exec(`INSERT INTO airlock_migration (version, applied_at) VALUES (999, 0)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := store.Open(ctx, c); err == nil {
		t.Fatal("a newer schema was accepted")
	}
}

func TestBadDatabaseURL(t *testing.T) {
	_, err := store.Open(context.Background(), store.Config{DatabaseURL: "mysql://x"})
	if err == nil {
		t.Fatal("mysql URL accepted")
	}
}

func TestDataBundles(t *testing.T) {
	for _, d := range storetest.Engines() {
		t.Run(string(d), func(t *testing.T) {
			s := storetest.Open(t, d)
			ctx := context.Background()
			day := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
			data := []byte("PK\x03\x04 bundle bytes \x00\xff")
			if err := s.PutDataBundle(ctx, store.DataBundle{ID: "b2", Signer: "k", Source: "s", Created: day.Add(time.Hour), Base: "b1"}, []byte("delta")); err != nil {
				t.Fatal(err)
			}
			if err := s.PutDataBundle(ctx, store.DataBundle{ID: "b1", Signer: "k", Source: "s", Created: day}, data); err != nil {
				t.Fatal(err)
			}
			// Kept before: left as it is.
			if err := s.PutDataBundle(ctx, store.DataBundle{ID: "b1", Signer: "k", Source: "s", Created: day}, []byte("other")); err != nil {
				t.Fatal(err)
			}
			bs, err := s.DataBundles(ctx)
			if err != nil || len(bs) != 2 || bs[0].ID != "b1" || bs[1].Base != "b1" || bs[0].Size != int64(len(data)) || !bs[0].Created.Equal(day) {
				t.Fatalf("bundles %+v (%v): want b1 then b2", bs, err)
			}
			got, err := s.DataBundleFile(ctx, "b1")
			if err != nil || string(got) != string(data) {
				t.Fatalf("file %q (%v)", got, err)
			}
			if _, err := s.DataBundleFile(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("missing bundle: %v", err)
			}
		})
	}
}

// TestFindingFilterPackageAndRule: findings filter by package (a name
// matches every version, name@version one; LIKE's wildcards in a name are
// literal) and by rule or advisory id.
func TestFindingFilterPackageAndRule(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		in := newIntegration(t, s.Queries)
		p := newProject(t, s.Queries, in.ID, 1)
		withPkg := func(fp, id, name, version string) finding.Finding {
			f := fnd(fp, id, finding.High)
			f.Package = &inventory.Package{Name: name, Version: version}
			return f
		}
		fs := []finding.Finding{
			withPkg("a", "GHSA-1", "lodash", "4.17.20"),
			withPkg("b", "GHSA-2", "lodash", "4.17.15"),
			withPkg("c", "GHSA-1", "lodash.merge", "4.6.0"),
			withPkg("d", "GHSA-3", "@babel/core", "7.0.0"),
			withPkg("e", "GHSA-4", "my_pkg", "1.0.0"),
			withPkg("f", "GHSA-4", "myXpkg", "1.0.0"),
			fnd("g", "aws-access-key-id", finding.High),
		}
		err := s.InTx(ctx, func(tx *store.Tx) error {
			sc := store.Scan{ProjectID: p.ID, Trigger: store.TriggerPush, Branch: "main"}
			if err := tx.CreateScan(ctx, &sc, t0); err != nil {
				return err
			}
			_, err := tx.RecordFindings(ctx, p.ID, "main", sc.ID, fs, t0)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			f    store.FindingFilter
			want string
		}{
			{store.FindingFilter{Package: "lodash"}, "ab"},
			{store.FindingFilter{Package: "lodash@4.17.15"}, "b"},
			{store.FindingFilter{Package: "@babel/core"}, "d"},
			{store.FindingFilter{Package: "my_pkg"}, "e"},
			{store.FindingFilter{Package: "lodash%"}, ""},
			{store.FindingFilter{RuleID: "GHSA-1"}, "ac"},
			{store.FindingFilter{RuleID: "GHSA-1", Package: "lodash"}, "a"},
			{store.FindingFilter{RuleID: "aws-access-key-id"}, "g"},
		} {
			got, err := s.Findings(ctx, c.f)
			if err != nil {
				t.Fatal(err)
			}
			var fps string
			for _, f := range got {
				fps += f.Fingerprint
			}
			if fps != c.want {
				t.Errorf("%+v: %q, want %q", c.f, fps, c.want)
			}
		}
	})
}
