package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
)

// TestProjectCountsAndNewestScans: open findings are counted per project
// by severity and kind, without fixed or dismissed ones; each project's
// newest scan is found, and a project never scanned has none.
func TestProjectCountsAndNewestScans(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		in := newIntegration(t, s.Queries)
		a, b, c := newProject(t, s.Queries, in.ID, 1), newProject(t, s.Queries, in.ID, 2), newProject(t, s.Queries, in.ID, 3)
		scan := func(p store.Project, branch string, fs ...finding.Finding) store.Scan {
			t.Helper()
			sc := store.Scan{ProjectID: p.ID, Trigger: store.TriggerPush, Branch: branch}
			err := s.InTx(ctx, func(tx *store.Tx) error {
				if err := tx.CreateScan(ctx, &sc, t0); err != nil {
					return err
				}
				_, err := tx.RecordFindings(ctx, p.ID, branch, sc.ID, fs, t0)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return sc
		}
		secret := finding.Finding{Kind: finding.KindSecret, ID: "aws-key", Severity: finding.Critical, Title: "key", Fingerprint: "s", Location: finding.Location{Path: "env.sh", StartLine: 1}}
		scan(a, "main", fnd("x", "GO-1", finding.High), fnd("y", "GO-2", finding.High), secret)
		scan(a, "main", fnd("y", "GO-2", finding.High), fnd("z", "GO-3", finding.Low), secret) // x fixed
		last := scan(a, "dev", fnd("w", "GO-4", finding.Medium))
		scan(b, "main", fnd("v", "GO-5", finding.Low))
		if err := s.Dismiss(ctx, b.ID, "v", store.Dismissal{Reason: "test", Actor: "t", CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		got, err := s.CountProjectFindings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := map[int64]store.ProjectCounts{a.ID: {Open: 4, BySeverity: map[string]int{"critical": 1, "high": 1, "medium": 1, "low": 1}, ByKind: map[string]int{"vulnerability": 3, "secret": 1}}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("counts (-want +got)\n%s", diff)
		}
		scans, err := s.NewestScans(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(scans) != 2 || scans[a.ID].ID != last.ID || scans[a.ID].Branch != "dev" || scans[b.ID].ProjectID != b.ID {
			t.Errorf("newest scans %+v", scans)
		}
		if _, ok := scans[c.ID]; ok {
			t.Error("a project never scanned has a newest scan")
		}
	})
}

// TestTrendExcludesDismissed: the dashboard's trend counts a finding from
// the day it was found until the day it was fixed or dismissed.
func TestTrendExcludesDismissed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		in := newIntegration(t, s.Queries)
		p := newProject(t, s.Queries, in.ID, 1)
		scan := func(at time.Time, fs ...finding.Finding) {
			t.Helper()
			sc := store.Scan{ProjectID: p.ID, Trigger: store.TriggerPush, Branch: "main"}
			err := s.InTx(ctx, func(tx *store.Tx) error {
				if err := tx.CreateScan(ctx, &sc, at); err != nil {
					return err
				}
				_, err := tx.RecordFindings(ctx, p.ID, "main", sc.ID, fs, at)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		day := 24 * time.Hour
		x, y, z := fnd("x", "GO-1", finding.High), fnd("y", "GO-2", finding.High), fnd("z", "GO-3", finding.Low)
		scan(t0, x, y, z)
		scan(t0.Add(day), y, z) // x fixed on the second day
		if err := s.Dismiss(ctx, p.ID, "z", store.Dismissal{Reason: "test", Actor: "t", CreatedAt: t0.Add(2 * day)}); err != nil {
			t.Fatal(err)
		}
		got, err := s.SummarizeFindings(ctx, t0.Add(4*day), 5, 10)
		if err != nil {
			t.Fatal(err)
		}
		var unfixed []int
		for i, pt := range got.Trend {
			if want := time.Date(2026, 11, 24+i, 0, 0, 0, 0, time.UTC); !pt.Day.Equal(want) {
				t.Errorf("point %d is for %v, want %v", i, pt.Day, want)
			}
			unfixed = append(unfixed, pt.Unfixed)
		}
		if diff := cmp.Diff([]int{3, 2, 1, 1, 1}, unfixed); diff != "" {
			t.Errorf("trend (-want +got)\n%s", diff)
		}
		if got.Open != 1 {
			t.Errorf("open %d, want 1 (y)", got.Open)
		}
	})
}
