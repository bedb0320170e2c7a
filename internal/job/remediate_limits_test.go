package job_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/fix"
	"github.com/airlock-sec/airlock/internal/gitlab"
	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/job"
)

// fakeFixes is an in-memory FixMRClient.
type fakeFixes struct {
	open   map[string]bool
	taken  map[string]bool
	closed []int64
}

func (f *fakeFixes) UpsertFixMR(_ context.Context, _ int64, m gitlab.FixMR) (gitlab.FixMRResult, error) {
	if f.taken[m.Branch] {
		return gitlab.FixMRResult{}, gitlab.ErrBranchTaken
	}
	created := !f.open[m.Branch]
	f.open[m.Branch] = true
	return gitlab.FixMRResult{Created: created, Pushed: created}, nil
}

func (f *fakeFixes) CloseFixMR(_ context.Context, _, iid int64, _ string) error {
	f.closed = append(f.closed, iid)
	return nil
}

func (f *fakeFixes) FixMRs(context.Context, int64, string, string) ([]gitlab.OpenFix, error) {
	var out []gitlab.OpenFix
	for b := range f.open {
		out = append(out, gitlab.OpenFix{IID: int64(len(out) + 1), Branch: b})
	}
	slices.SortFunc(out, func(a, b gitlab.OpenFix) int { return int(a.IID - b.IID) })
	return out, nil
}

func plansOf(sevs ...finding.Severity) []fix.Plan {
	var out []fix.Plan
	for i, s := range sevs {
		c := fix.Change{Ecosystem: inventory.NPM, Name: fmt.Sprintf("p%d", i), Manifest: "package-lock.json", From: "1.0.0", To: "1.0.1", Status: fix.StatusFix, Severity: s}
		out = append(out, fix.Plan{Key: c.Key(), Title: c.Name, Changes: []fix.Change{c}, Edits: []fix.Edit{{Path: "package-lock.json", New: []byte(c.Name)}}})
	}
	return out
}

// TestRemediateLimits: new merge requests stay within the project's and
// the instance's limits, the most severe first; open ones are updated
// whatever the limits; failed plans and branches someone else pushed to
// are skipped.
func TestRemediateLimits(t *testing.T) {
	ctx := context.Background()
	plans := plansOf(finding.Low, finding.Critical, finding.Medium, finding.High, finding.Low, finding.Critical, finding.Medium)
	plans = append(plans, fix.Plan{Key: "failed", Failed: "npm failed", Changes: []fix.Change{{Ecosystem: inventory.NPM, Name: "bad", Manifest: "package-lock.json", Severity: finding.Critical}}})
	f := &fakeFixes{open: map[string]bool{}, taken: map[string]bool{plans[5].Branch(): true}}
	res, err := job.Remediate(ctx, f, 1, plans, job.RemediateOptions{Target: "main", ProjectLimit: 3})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for b := range res.MRs {
		got = append(got, b)
	}
	slices.Sort(got)
	want := []string{plans[1].Branch(), plans[2].Branch(), plans[3].Branch()} // critical, high, then the first medium
	slices.Sort(want)
	if !slices.Equal(got, want) || len(res.Taken) != 1 || res.Taken[0] != plans[5].Branch() || len(res.Deferred) != 3 {
		t.Fatalf("got %v taken %v deferred %v", got, res.Taken, res.Deferred)
	}
	// Next run: the three open ones are updated; the limit still holds.
	res, _ = job.Remediate(ctx, f, 1, plans, job.RemediateOptions{Target: "main", ProjectLimit: 3})
	if len(res.MRs) != 3 || len(res.Deferred) != 4 { // the taken branch waits too
		t.Errorf("second run: %d kept, %d deferred", len(res.MRs), len(res.Deferred))
	}
	// The instance limit: 49 open elsewhere leave room for one.
	g := &fakeFixes{open: map[string]bool{}}
	res, _ = job.Remediate(ctx, g, 2, plans, job.RemediateOptions{Target: "main", InstanceOpen: 49})
	if len(res.MRs) != 1 || res.MRs[plans[1].Branch()].Created != true {
		t.Errorf("instance limit: %+v", res.MRs)
	}
	// A plan gone: its merge request is closed.
	res, _ = job.Remediate(ctx, g, 2, plans[2:3], job.RemediateOptions{Target: "main"})
	if len(res.Closed) != 1 || len(g.closed) != 1 {
		t.Errorf("obsolete: closed %+v", res.Closed)
	}
}
