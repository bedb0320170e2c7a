package scan

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/airlock-sec/airlock/internal/analyzer"
	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory/list"
)

// recorder writes each event as one line, and fails at the event whose
// line starts with failAt.
type recorder struct {
	events []string
	failAt string
}

var errStop = errors.New("handler stops")

func (r *recorder) add(s string) error {
	r.events = append(r.events, s)
	if r.failAt != "" && strings.HasPrefix(s, r.failAt) {
		return errStop
	}
	return nil
}

func (r *recorder) Config(c ScanConfig) error {
	return r.add(fmt.Sprintf("config %s", strings.Join(c.Analyzers, ",")))
}
func (r *recorder) Progress(p Progress) error { return r.add("progress " + p.Stage) }
func (r *recorder) Notice(n Notice) error     { return r.add("notice " + n.Message) }
func (r *recorder) Manifest(m Manifest) error { return r.add("manifest " + m.Path) }
func (r *recorder) Finding(f finding.Finding) error {
	return r.add("finding " + f.ID + " " + f.Location.Path)
}
func (r *recorder) Done(s Summary) error {
	return r.add(fmt.Sprintf("done %d findings %d manifests %d notices %d incomplete", s.Findings, s.Manifests, s.Notices, s.Incomplete))
}

// streamTree is a tree with two vulnerable pins, one unreadable manifest
// and one unpinned dependency.
func streamTree(t *testing.T) string {
	root := t.TempDir()
	write(t, root, map[string]string{
		"requirements.txt":        "vuln-b==1.0\nvuln-a==1.0\nloose>=1\n",
		"broken/requirements.txt": "this is not ==== a requirement\n",
	})
	return root
}

func streamOptions() Options {
	return Options{Extractors: list.All(), Analyzers: vulnOnly, Env: analyzer.Env{VulnDB: fakeDB{}},
		Notices: []Notice{{Level: NoticeWarning, Message: "secret scanning skipped: test"}}}
}

// TestStreamEvents: Config first with the analyzers, the assembly's
// notices next, manifests once extracted, findings in the final order
// after the analyzers' notices, Done last with the counts.
func TestStreamEvents(t *testing.T) {
	var r recorder
	if err := Stream(context.Background(), streamTree(t), streamOptions(), &r); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range r.events {
		if !strings.HasPrefix(e, "progress ") {
			got = append(got, e)
		}
	}
	want := []string{
		"config vuln",
		"notice secret scanning skipped: test",
		"manifest broken/requirements.txt",
		"manifest requirements.txt",
		`notice invalid requirement "this is not ==== a requirement": expected a version operator at "is not ==== a requirement"`,
		"notice 1 dependency is not pinned to one version and not checked: loose (pin exact versions or scan a lockfile)",
		"finding PYSEC-0000-vuln-a requirements.txt",
		"finding PYSEC-0000-vuln-b requirements.txt",
		"done 2 findings 2 manifests 3 notices 1 incomplete",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if !slices.Contains(r.events, "progress walk") || !slices.Contains(r.events, "progress extract") || !slices.Contains(r.events, "progress match") {
		t.Errorf("progress events missing: %v", r.events)
	}
}

// TestStreamHandlerErrorStops: an error from any event stops the scan
// there: Stream returns it, nothing follows, there is no Done.
func TestStreamHandlerErrorStops(t *testing.T) {
	root := streamTree(t)
	for _, at := range []string{"config", "notice secret", "progress walk", "manifest", "progress match", "finding", "done"} {
		t.Run(at, func(t *testing.T) {
			r := recorder{failAt: at}
			err := Stream(context.Background(), root, streamOptions(), &r)
			if !errors.Is(err, errStop) {
				t.Fatalf("error %v, want the handler's", err)
			}
			if last := r.events[len(r.events)-1]; !strings.HasPrefix(last, at) {
				t.Errorf("events after the failing one: %v", r.events)
			}
		})
	}
}

// waiter is an analyzer that reports progress, then waits for the scan
// to be cancelled.
type waiter struct{}

func (waiter) Name() string               { return "waiter" }
func (waiter) Needs() []analyzer.Need     { return nil }
func (waiter) FileRequired(_ string) bool { return true }
func (waiter) Analyze(ctx context.Context, in *analyzer.Input) (*analyzer.Output, error) {
	in.Progress(Progress{Stage: "waiting"})
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(time.Minute):
		return nil, errors.New("not cancelled")
	}
}

// TestStreamHandlerErrorCancelsAnalyzers: a handler error during an
// analyzer's run cancels it.
func TestStreamHandlerErrorCancelsAnalyzers(t *testing.T) {
	r := recorder{failAt: "progress waiting"}
	err := Stream(context.Background(), streamTree(t), Options{Analyzers: []analyzer.Analyzer{waiter{}}}, &r)
	if !errors.Is(err, errStop) {
		t.Fatalf("error %v, want the handler's", err)
	}
}

// TestReplayRoundTrip: a Result replayed into a Collector is the same
// Result, and Run's Result is what Stream sent.
func TestReplayRoundTrip(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	o := streamOptions()
	o.Now = func() time.Time { return now }
	o.Env.Sources = []Source{{Ecosystem: "PyPI", Path: "/x/all.zip"}}
	o.Baseline = map[string]bool{"none": true}
	res, err := Run(context.Background(), streamTree(t), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 2 || len(res.Manifests) != 2 || len(res.Notices) != 3 {
		t.Fatalf("result %+v", res)
	}
	var c Collector
	if err := Replay(res, &c); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(res, c.Result()); diff != "" {
		t.Errorf("replayed (-want +got):\n%s", diff)
	}
	var r recorder
	if err := Replay(res, &r); err != nil {
		t.Fatal(err)
	}
	if last := r.events[len(r.events)-1]; last != "done 2 findings 2 manifests 3 notices 1 incomplete" {
		t.Errorf("replayed summary %q", last)
	}
}

// TestFanout: every handler sees every event, in order; the first error
// stops the event there.
func TestFanout(t *testing.T) {
	a, b := &recorder{}, &recorder{}
	if err := Stream(context.Background(), streamTree(t), streamOptions(), Fanout(a, b)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a.events, b.events); diff != "" || len(a.events) == 0 {
		t.Errorf("handlers saw different events (-a +b):\n%s", diff)
	}
	a, b = &recorder{failAt: "manifest"}, &recorder{}
	err := Stream(context.Background(), streamTree(t), streamOptions(), Fanout(a, b, Discard{}))
	if !errors.Is(err, errStop) {
		t.Fatalf("error %v", err)
	}
	for _, e := range b.events {
		if strings.HasPrefix(e, "manifest") {
			t.Errorf("second handler got the event the first refused: %v", b.events)
		}
	}
}
