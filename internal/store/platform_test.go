package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
)

// TestIDsNeverReused: deleting the newest integration and scan does not
// give their ids to the next ones, so old links and hooks never point at
// unrelated objects.
func TestIDsNeverReused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a := newIntegration(t, s.Queries)
		p := newProject(t, s.Queries, a.ID, 1)
		sc := store.Scan{ProjectID: p.ID, Trigger: store.TriggerManual, Branch: "main"}
		if err := s.CreateScan(ctx, &sc, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteIntegration(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		b := newIntegration(t, s.Queries)
		q := newProject(t, s.Queries, b.ID, 1)
		sc2 := store.Scan{ProjectID: q.ID, Trigger: store.TriggerManual, Branch: "main"}
		if err := s.CreateScan(ctx, &sc2, t0); err != nil {
			t.Fatal(err)
		}
		if b.ID <= a.ID || q.ID <= p.ID || sc2.ID <= sc.ID {
			t.Fatalf("ids reused: integration %d then %d, project %d then %d, scan %d then %d", a.ID, b.ID, p.ID, q.ID, sc.ID, sc2.ID)
		}
	})
}

// TestAutoincrementMigration: a SQLite database made before migration 4
// (keys without AUTOINCREMENT) is rebuilt with its rows and links intact.
func TestAutoincrementMigration(t *testing.T) {
	ctx := context.Background()
	c := storetest.Config(t, store.SQLite)
	s, err := store.Open(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	in := newIntegration(t, s.Queries)
	p := newProject(t, s.Queries, in.ID, 7)
	// Back to schema 3: integration's key as it was.
	db := s.DB()
	var def string
	if err := db.QueryRow(`SELECT sql FROM sqlite_master WHERE name = 'integration'`).Scan(&def); err != nil {
		t.Fatal(err)
	}
	for _, st := range []string{
		`PRAGMA foreign_keys = OFF`,
		strings.Replace(strings.Replace(def, " AUTOINCREMENT", "", 1), "CREATE TABLE integration", "CREATE TABLE integration_old", 1),
		`INSERT INTO integration_old SELECT * FROM integration`,
		`DROP TABLE integration`,
		`ALTER TABLE integration_old RENAME TO integration`,
		`PRAGMA foreign_keys = ON`,
		`DELETE FROM airlock_migration WHERE version >= 4`,
	} {
		if _, err := db.Exec(st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	s.Close()
	s, err = store.Open(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.DB().QueryRow(`SELECT sql FROM sqlite_master WHERE name = 'integration'`).Scan(&def); err != nil || !strings.Contains(def, "AUTOINCREMENT") {
		t.Fatalf("integration not rebuilt: %s %v", def, err)
	}
	got, err := s.ProjectByGitLabID(ctx, in.ID, 7)
	if err != nil || got.ID != p.ID {
		t.Fatalf("project after the rebuild: %+v, %v", got, err)
	}
	if err := s.DeleteIntegration(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Project(ctx, p.ID); err == nil {
		t.Fatal("the cascade from integration to project is lost")
	}
}

// TestDatabaseFileMode: airlock.db is readable by its owner only, also in
// a data directory that existed, and a file made readable is tightened.
func TestDatabaseFileMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "airlock.db")
	for i := range 2 {
		s, err := store.Open(context.Background(), store.Config{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Fatalf("open %d: airlock.db mode %o, want 600", i, fi.Mode().Perm())
		}
		os.Chmod(path, 0o644)
	}
}

// TestLeases: one holder at a time; renewals by the holder only; an
// expired lease or a dead worker's is taken.
func TestLeases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ttl := 30 * time.Second
		take := func(holder, worker string, now time.Time) bool {
			t.Helper()
			ok, err := s.AcquireLease(ctx, "mr:1:2", holder, worker, ttl, now)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !take("w1/scan:1", "w1", t0) || take("w2/scan:2", "w2", t0.Add(time.Second)) {
			t.Fatal("a held lease was taken")
		}
		if !take("w1/scan:1", "w1", t0.Add(2*time.Second)) {
			t.Fatal("the holder could not take its own lease again")
		}
		if ok, _ := s.RenewLease(ctx, "mr:1:2", "w2/scan:2", ttl, t0); ok {
			t.Fatal("another holder renewed the lease")
		}
		if !take("w2/scan:2", "w2", t0.Add(time.Minute)) {
			t.Fatal("an expired lease was not taken")
		}
		if n, err := s.DropWorkerLeases(ctx, "w2"); err != nil || n != 1 {
			t.Fatalf("dropped %d, %v", n, err)
		}
		if !take("w3/notify:3", "w3", t0.Add(time.Minute)) {
			t.Fatal("a dead worker's lease was not taken")
		}
		if err := s.ReleaseLease(ctx, "mr:1:2", "w3/notify:3"); err != nil {
			t.Fatal(err)
		}
		if !take("w1/scan:4", "w1", t0.Add(time.Minute)) {
			t.Fatal("a released lease was not taken")
		}
	})
}

// TestScanClaims: a queued scan is claimed once; a live worker's running
// scan is not taken; a stale or dead worker's is, and is put back in the
// queue by OrphanedScans.
func TestScanClaims(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		in := newIntegration(t, s.Queries)
		p := newProject(t, s.Queries, in.ID, 1)
		var ids []int64
		for range 3 {
			sc := store.Scan{ProjectID: p.ID, Trigger: store.TriggerManual, Branch: "main"}
			if err := s.CreateScan(ctx, &sc, t0); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, sc.ID)
		}
		stale := t0.Add(-30 * time.Second)
		claim := func(id int64, w string, now time.Time) bool {
			ok, err := s.ClaimScan(ctx, id, w, now, now.Add(-30*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !claim(ids[0], "w1", t0) || claim(ids[0], "w2", t0.Add(time.Second)) {
			t.Fatal("a running scan of a live worker was claimed twice")
		}
		if !claim(ids[0], "w2", t0.Add(time.Minute)) {
			t.Fatal("a scan whose heartbeat stopped was not taken over")
		}
		if ok, _ := s.ScanHeartbeat(ctx, ids[0], "w1", t0.Add(time.Minute)); ok {
			t.Fatal("the old worker still beats for a scan taken over")
		}
		claim(ids[1], "dead", t0)
		claim(ids[2], "w2", t0)
		got, err := s.OrphanedScans(ctx, []string{"dead"}, stale)
		if err != nil || len(got) != 1 || got[0] != ids[1] {
			t.Fatalf("orphans %v, %v; want [%d]", got, err, ids[1])
		}
		if sc, _ := s.Scan(ctx, ids[1]); sc.Status != store.ScanQueued {
			t.Fatalf("orphan is %s, want queued", sc.Status)
		}
		if err := s.UnclaimScan(ctx, ids[2], "w2"); err != nil {
			t.Fatal(err)
		}
		if sc, _ := s.Scan(ctx, ids[2]); sc.Status != store.ScanQueued {
			t.Fatalf("unclaimed scan is %s, want queued", sc.Status)
		}
	})
}
