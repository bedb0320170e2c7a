package scan

import (
	"time"

	"github.com/airlock-sec/airlock/internal/finding"
)

// Handler receives a scan as a stream of events (the pattern of
// golang/vuln's govulncheck handlers): first Config, then progress,
// notices, manifests and findings as the scan produces them, and Done
// last, only when the scan completed. A stream without Done was cut
// short. Stream calls a handler from one goroutine at a time.
//
// An error returned by any method stops the scan: Stream cancels the
// analyzers, delivers no further event and returns that error.
type Handler interface {
	// Config opens the stream: what is scanned, with what, since when.
	Config(ScanConfig) error
	// Progress says how far a stage has come. Events of different
	// stages interleave; they are for people, not for the record.
	Progress(Progress) error
	// Notice is a message about the scan: skipped analyzers, files not
	// read, stale data, expired ignores. Notices arrive in the order of
	// Result.Notices.
	Notice(Notice) error
	// Manifest is one manifest or lockfile read, with its packages, in
	// path order.
	Manifest(Manifest) error
	// Finding is one finding, in the final order of Result.Findings:
	// policy applied, duplicates and the baseline left out, sorted.
	Finding(finding.Finding) error
	// Done closes a complete stream.
	Done(Summary) error
}

// ScanConfig is the first event of a scan.
type ScanConfig struct {
	// Target is the scanned path as given.
	Target string `json:"target"`
	// StartedAt is when the scan started (UTC).
	StartedAt time.Time `json:"started_at"`
	// Analyzers names the analyzers that run, in registry order.
	Analyzers []string `json:"analyzers,omitempty"`
	// Database describes the vulnerability data offered to them.
	Database []Source `json:"database"`
}

// Summary is the last event of a complete scan.
type Summary struct {
	// FinishedAt is when the scan finished (UTC).
	FinishedAt time.Time `json:"finished_at"`
	// Findings, Manifests and Notices count the events sent.
	Findings  int `json:"findings"`
	Manifests int `json:"manifests"`
	Notices   int `json:"notices"`
	// Incomplete counts the error notices: input not read (Result.Incomplete).
	Incomplete int `json:"incomplete"`
	// Licenses are the packages' licenses, when the license analyzer ran
	// (Result.Licenses).
	Licenses []PackageLicense `json:"licenses,omitempty"`
}

// Discard is a Handler that ignores every event. Embed it in a handler
// that needs only some of them.
type Discard struct{}

// Config ignores the event.
func (Discard) Config(ScanConfig) error { return nil }

// Progress ignores the event.
func (Discard) Progress(Progress) error { return nil }

// Notice ignores the event.
func (Discard) Notice(Notice) error { return nil }

// Manifest ignores the event.
func (Discard) Manifest(Manifest) error { return nil }

// Finding ignores the event.
func (Discard) Finding(finding.Finding) error { return nil }

// Done ignores the event.
func (Discard) Done(Summary) error { return nil }

// Collector is a Handler that builds the Result of a scan; Run is Stream
// into a Collector. The zero value is ready to use.
type Collector struct {
	res Result
}

// Config starts the result.
func (c *Collector) Config(cfg ScanConfig) error {
	c.res = Result{Target: cfg.Target, StartedAt: cfg.StartedAt, Database: cfg.Database,
		Manifests: []Manifest{}, Findings: []finding.Finding{}}
	return nil
}

// Progress is not part of the result.
func (c *Collector) Progress(Progress) error { return nil }

// Notice adds a notice.
func (c *Collector) Notice(n Notice) error {
	c.res.Notices = append(c.res.Notices, n)
	return nil
}

// Manifest adds a manifest.
func (c *Collector) Manifest(m Manifest) error {
	c.res.Manifests = append(c.res.Manifests, m)
	return nil
}

// Finding adds a finding.
func (c *Collector) Finding(f finding.Finding) error {
	c.res.Findings = append(c.res.Findings, f)
	return nil
}

// Done records the finish time.
func (c *Collector) Done(s Summary) error {
	c.res.FinishedAt, c.res.Licenses = s.FinishedAt, s.Licenses
	return nil
}

// Result is what was collected: the whole scan once Done was received.
func (c *Collector) Result() *Result { return &c.res }

// Fanout sends every event to each of hs in turn; the first error stops
// the event there and is returned.
func Fanout(hs ...Handler) Handler { return fanout(hs) }

type fanout []Handler

func (f fanout) each(call func(Handler) error) error {
	for _, h := range f {
		if err := call(h); err != nil {
			return err
		}
	}
	return nil
}

func (f fanout) Config(c ScanConfig) error {
	return f.each(func(h Handler) error { return h.Config(c) })
}

func (f fanout) Progress(p Progress) error {
	return f.each(func(h Handler) error { return h.Progress(p) })
}

func (f fanout) Notice(n Notice) error {
	return f.each(func(h Handler) error { return h.Notice(n) })
}

func (f fanout) Manifest(m Manifest) error {
	return f.each(func(h Handler) error { return h.Manifest(m) })
}

func (f fanout) Finding(x finding.Finding) error {
	return f.each(func(h Handler) error { return h.Finding(x) })
}

func (f fanout) Done(s Summary) error {
	return f.each(func(h Handler) error { return h.Done(s) })
}

// Replay sends a stored result to h as the events of a scan: Config, the
// notices, the manifests, the findings and Done. A Collector fed by
// Replay builds an equal Result. The analyzers that ran are not part of
// a Result, so Config names none.
func Replay(r *Result, h Handler) error {
	if err := h.Config(ScanConfig{Target: r.Target, StartedAt: r.StartedAt, Database: r.Database}); err != nil {
		return err
	}
	for _, n := range r.Notices {
		if err := h.Notice(n); err != nil {
			return err
		}
	}
	for _, m := range r.Manifests {
		if err := h.Manifest(m); err != nil {
			return err
		}
	}
	for _, f := range r.Findings {
		if err := h.Finding(f); err != nil {
			return err
		}
	}
	return h.Done(Summary{FinishedAt: r.FinishedAt, Findings: len(r.Findings), Manifests: len(r.Manifests),
		Notices: len(r.Notices), Incomplete: r.Incomplete(), Licenses: r.Licenses})
}
