package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/scan"
)

// TestProgressLine: quiet for the first second, then one redrawn line of
// the stages, at most five times a second, erased at the end.
func TestProgressLine(t *testing.T) {
	var b bytes.Buffer
	p := newProgressLine(&b)
	now := p.start
	p.now = func() time.Time { return now }
	p.update(scan.Progress{Stage: "walk", Done: 1024})
	if b.Len() != 0 {
		t.Fatalf("drawn in the first second: %q", b.String())
	}
	now = now.Add(1500 * time.Millisecond)
	p.update(scan.Progress{Stage: "walk", Done: 5000, Total: 5000})
	p.update(scan.Progress{Stage: "secret", Done: 256, Total: 5000})
	if got := b.String(); got != "\r\x1b[Kscanning: 5000/5000 files" {
		t.Fatalf("first line %q", got)
	}
	now = now.Add(300 * time.Millisecond)
	p.update(scan.Progress{Stage: "history", Done: 10, Total: 1024})
	if !strings.HasSuffix(b.String(), "\r\x1b[Kscanning: 5000/5000 files, 256/5000 files searched for secrets, 10/1024 commits") {
		t.Fatalf("second line %q", b.String())
	}
	// Any other event erases the line, so that what is written next
	// starts on a clean line; the next progress draws it again.
	p.Finding(finding.Finding{})
	if !strings.HasSuffix(b.String(), "commits\r\x1b[K") {
		t.Errorf("not erased before a finding: %q", b.String())
	}
	n := b.Len()
	p.Notice(scan.Notice{})
	if b.Len() != n {
		t.Errorf("erased twice: %q", b.String())
	}
	now = now.Add(300 * time.Millisecond)
	p.Progress(scan.Progress{Stage: "history", Done: 20, Total: 1024})
	if !strings.HasSuffix(b.String(), "\r\x1b[K\r\x1b[Kscanning: 5000/5000 files, 256/5000 files searched for secrets, 20/1024 commits") {
		t.Fatalf("not redrawn: %q", b.String())
	}
	p.Done(scan.Summary{})
	if !strings.HasSuffix(b.String(), "commits\r\x1b[K") {
		t.Errorf("not erased: %q", b.String())
	}
}
