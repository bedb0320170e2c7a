package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
)

func plan(key, digest string) store.FixPlan {
	return store.FixPlan{Key: key, Branch: "airlock/fix/" + key, Title: "Upgrade " + key, Severity: "high", Bump: "patch", Digest: digest,
		Plan: json.RawMessage(`{"key":"` + key + `"}`), Edits: json.RawMessage(`[]`)}
}

// TestFixPlans: a plan's life — proposed, approved (audited), open,
// merged, verified once no scan proposes it — and the rules around it:
// a rejection undone by new edits, an obsolete plan closed (its merge
// request reported when it was open), counts and mean time to fix.
func TestFixPlans(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		in := newIntegration(t, s.Queries)
		p := newProject(t, s.Queries, in.ID, 7)
		state := func(key string) store.FixPlan {
			t.Helper()
			ps, err := s.FixPlans(ctx, p.ID, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range ps {
				if x.Key == key {
					return x
				}
			}
			t.Fatalf("no plan %s", key)
			return store.FixPlan{}
		}
		if _, err := s.RecordFixPlans(ctx, p.ID, []store.FixPlan{plan("a", "d1"), plan("b", "d1"), plan("c", "d1")}, t0); err != nil {
			t.Fatal(err)
		}
		a := state("a")
		if a.State != store.PlanProposed || string(a.Plan) != `{"key":"a"}` || a.Branch != "airlock/fix/a" {
			t.Fatalf("a: %+v", a)
		}
		a, err := s.DecideFixPlan(ctx, a.ID, true, "alice", "patch bump, high", t0.Add(time.Minute))
		if err != nil || a.State != store.PlanApproved || a.DecidedBy != "alice" || a.Reason != "patch bump, high" || a.DecidedAt == nil {
			t.Fatalf("approve: %+v %v", a, err)
		}
		log, _ := s.AuditLog(ctx, 10, 0)
		if len(log) == 0 || log[0].Action != "fix_plan.approve" || log[0].Actor != "alice" || log[0].Detail != "patch bump, high" {
			t.Errorf("audit: %+v", log)
		}
		b := state("b")
		if _, err := s.DecideFixPlan(ctx, b.ID, false, "bob", "not now", t0); err != nil {
			t.Fatal(err)
		}
		if err := s.FixPlanOpened(ctx, b.ID, 3, "u", t0); !errors.Is(err, store.ErrPlanState) {
			t.Errorf("a rejected plan opened: %v", err)
		}
		if err := s.FixPlanOpened(ctx, a.ID, 3, "https://gitlab.example.com/g/p/-/merge_requests/3", t0.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DecideFixPlan(ctx, a.ID, false, "bob", "late", t0); !errors.Is(err, store.ErrPlanState) {
			t.Errorf("an open plan rejected: %v", err)
		}
		if ok, err := s.FixPlanMRChanged(ctx, p.ID, "airlock/fix/a", true, t0.Add(time.Hour)); !ok || err != nil {
			t.Fatalf("merged: %v %v", ok, err)
		}

		// Next scan: a is gone (verified), b has new edits (its rejection
		// is undone), c is gone (closed), d is new.
		closedOpen, err := s.RecordFixPlans(ctx, p.ID, []store.FixPlan{plan("b", "d2"), plan("d", "d1")}, t0.Add(2*time.Hour))
		if err != nil || len(closedOpen) != 0 {
			t.Fatalf("record: %v %v", closedOpen, err)
		}
		for key, want := range map[string]string{"a": store.PlanVerified, "b": store.PlanProposed, "c": store.PlanClosed, "d": store.PlanProposed} {
			if got := state(key).State; got != want {
				t.Errorf("%s: %s, want %s", key, got, want)
			}
		}
		// An open plan that disappears is reported, for its merge request.
		d := state("d")
		s.DecideFixPlan(ctx, d.ID, true, "policy", "auto", t0)
		s.FixPlanOpened(ctx, d.ID, 4, "u", t0)
		closedOpen, _ = s.RecordFixPlans(ctx, p.ID, []store.FixPlan{plan("b", "d2")}, t0.Add(3*time.Hour))
		if len(closedOpen) != 1 || closedOpen[0].Key != "d" || closedOpen[0].MRIID != 4 {
			t.Errorf("closed open plans: %+v", closedOpen)
		}
		counts, err := s.CountFixPlans(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"proposed": 1, "approved": 0, "rejected": 0, "open": 0, "merged": 0, "verified": 1, "closed": 2}
		for k, v := range want {
			if counts.ByState[k] != v {
				t.Errorf("count %s: %d, want %d (%v)", k, counts.ByState[k], v, counts.ByState)
			}
		}
		if counts.MeanTimeToFix != 3600 {
			t.Errorf("mean time to fix %v s, want 3600", counts.MeanTimeToFix)
		}
		// A plan that comes back after its merge starts again.
		if _, err := s.RecordFixPlans(ctx, p.ID, []store.FixPlan{plan("a", "d3")}, t0.Add(4*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if a := state("a"); a.State != store.PlanProposed || a.MergedAt != nil || a.MRIID != 0 {
			t.Errorf("a again: %+v", a)
		}
		// Its merge request closed without merging (the webhook's close
		// action): the open plan is closed, once; a proposed plan of the
		// other branch is not touched.
		again := state("a")
		if _, err := s.DecideFixPlan(ctx, again.ID, true, "alice", "ok", t0.Add(5*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.FixPlanOpened(ctx, again.ID, 9, "u", t0.Add(5*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.FixPlanMRChanged(ctx, p.ID, "airlock/fix/a", false, t0.Add(6*time.Hour)); !ok || err != nil {
			t.Fatalf("closed: %v %v", ok, err)
		}
		if a := state("a"); a.State != store.PlanClosed || a.MergedAt != nil {
			t.Errorf("a after its merge request closed: %+v", a)
		}
		if ok, _ := s.FixPlanMRChanged(ctx, p.ID, "airlock/fix/a", false, t0.Add(7*time.Hour)); ok {
			t.Error("a closed plan changed again")
		}
		if ok, _ := s.FixPlanMRChanged(ctx, p.ID, "airlock/fix/b", false, t0.Add(7*time.Hour)); ok {
			t.Error("a proposed plan was closed by a merge request event")
		}
	})
}
