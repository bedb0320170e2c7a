package registry

import (
	"context"
	"sync"
	"time"
)

// Ref names a package of an ecosystem (OSV spelling).
type Ref struct{ Ecosystem, Name string }

// Result is a mirror's answer about one package.
type Result struct {
	Package *Package
	Err     error
}

// memo is one package's answer shared by the analyzers of a scan (risk and
// license read the same packuments side by side).
type memo struct {
	done chan struct{}
	res  Result
	at   time.Time
}

// Packages asks the mirrors about every ref, on up to workers goroutines
// (the Set still bounds requests in flight), reporting progress. Answers
// are shared between the callers of one Set (or Session) for as long as
// the cache keeps them fresh, so two analyzers of one scan ask once.
func (s *Set) Packages(ctx context.Context, refs []Ref, workers int, progress func(done, total int)) map[Ref]Result {
	out := make(map[Ref]Result, len(refs))
	var mu sync.Mutex
	next := make(chan Ref)
	var wg sync.WaitGroup
	for w := 0; w < min(max(workers, 1), len(refs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ref := range next {
				res := s.Package(ctx, ref)
				mu.Lock()
				out[ref] = res
				n := len(out)
				mu.Unlock()
				if progress != nil {
					progress(n, len(refs))
				}
			}
		}()
	}
	for _, r := range refs {
		next <- r
	}
	close(next)
	wg.Wait()
	return out
}

// Package asks one package's mirror, sharing the answer as Packages does.
func (s *Set) Package(ctx context.Context, ref Ref) Result {
	c, err := s.Client(ref.Ecosystem)
	if err != nil {
		return Result{Err: err}
	}
	t := s.memo
	t.mu.Lock()
	m, ok := t.m[ref]
	if ok && m.at.IsZero() {
		// In flight: wait below.
	} else if ok && s.now().Sub(m.at) < s.cfg.CacheTTL && m.res.Err == nil {
		t.mu.Unlock()
		return m.res
	} else {
		ok = false
	}
	if !ok {
		m = &memo{done: make(chan struct{})}
		t.m[ref] = m
		t.mu.Unlock()
		p, err := c.Package(ctx, ref.Name)
		t.mu.Lock()
		m.res, m.at = Result{Package: p, Err: err}, s.now()
		t.mu.Unlock()
		close(m.done)
		return m.res
	}
	t.mu.Unlock()
	select {
	case <-m.done:
		return m.res
	case <-ctx.Done():
		return Result{Err: ctx.Err()}
	}
}
