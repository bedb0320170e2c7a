package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/scan"
)

// progressLine is the scan handler that shows a long scan's progress on
// one terminal line of standard error: nothing for the first second (a
// short scan stays quiet), then the stages as they advance, redrawn at
// most five times a second. It erases the line before any other event,
// so that what the next handler writes (a JSON line, the table at the
// end) starts on a clean line, and when the scan ends.
type progressLine struct {
	scan.Discard
	w      io.Writer
	start  time.Time
	mu     sync.Mutex
	stages map[string]scan.Progress
	order  []string
	drawn  time.Time
	shown  bool
	now    func() time.Time
}

func newProgressLine(w io.Writer) *progressLine {
	return &progressLine{w: w, start: time.Now(), stages: map[string]scan.Progress{}, now: time.Now}
}

// progressNames are the stages as the line names them.
var progressNames = map[string]string{
	"walk":    "files",
	"extract": "manifests",
	"secret":  "files searched for secrets",
	"history": "commits",
	"match":   "matching",
}

// Progress draws the event.
func (p *progressLine) Progress(e scan.Progress) error {
	p.update(e)
	return nil
}

// Notice erases the line before the notice may be written.
func (p *progressLine) Notice(scan.Notice) error { return p.clear() }

// Manifest erases the line before the manifest may be written.
func (p *progressLine) Manifest(scan.Manifest) error { return p.clear() }

// Finding erases the line before the finding may be written.
func (p *progressLine) Finding(finding.Finding) error { return p.clear() }

// Done erases the line before the report is written.
func (p *progressLine) Done(scan.Summary) error { return p.clear() }

func (p *progressLine) update(e scan.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if old, ok := p.stages[e.Stage]; !ok {
		p.order = append(p.order, e.Stage)
	} else if e.Done < old.Done && e.Total == old.Total {
		return // an older event overtaken by a newer one
	}
	p.stages[e.Stage] = e
	now := p.now()
	if now.Sub(p.start) < time.Second || now.Sub(p.drawn) < 200*time.Millisecond {
		return
	}
	p.drawn, p.shown = now, true
	var parts []string
	for _, st := range p.order {
		e := p.stages[st]
		name := progressNames[st]
		if name == "" {
			name = st
		}
		switch {
		case st == "match":
			parts = append(parts, name)
		case e.Total > 0:
			parts = append(parts, fmt.Sprintf("%d/%d %s", e.Done, e.Total, name))
		default:
			parts = append(parts, fmt.Sprintf("%d %s", e.Done, name))
		}
	}
	fmt.Fprintf(p.w, "\r\x1b[Kscanning: %s", strings.Join(parts, ", "))
}

// clear erases the line if it is drawn. A terminal that cannot be
// written to is not the scan's concern: the error is dropped.
func (p *progressLine) clear() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
	}
	return nil
}
