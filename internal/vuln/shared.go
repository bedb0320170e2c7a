package vuln

import (
	"context"
	"sync"

	"github.com/airlock-sec/airlock/internal/osv"
)

// Shared wraps a Source for one scan so that the analyzers that match
// against it side by side (vuln, and risk for MAL- records and
// informational advisories) read and decode each package's records once.
// Safe for concurrent use; records are shared, never modified.
func Shared(src Source) Source {
	if _, ok := src.(*shared); ok || src == nil {
		return src
	}
	return &shared{src: src, names: map[string]*onceNames{}, records: map[[2]string]*onceRecords{}}
}

type shared struct {
	src     Source
	mu      sync.Mutex
	names   map[string]*onceNames
	records map[[2]string]*onceRecords
}

type onceNames struct {
	once  sync.Once
	names map[string]bool
	err   error
}

type onceRecords struct {
	once sync.Once
	recs []*osv.Vulnerability
	err  error
}

func (s *shared) Names(ctx context.Context, eco string) (map[string]bool, error) {
	s.mu.Lock()
	o, ok := s.names[eco]
	if !ok {
		o = &onceNames{}
		s.names[eco] = o
	}
	s.mu.Unlock()
	o.once.Do(func() { o.names, o.err = s.src.Names(ctx, eco) })
	return o.names, o.err
}

func (s *shared) Query(ctx context.Context, eco, name string) ([]*osv.Vulnerability, error) {
	k := [2]string{eco, name}
	s.mu.Lock()
	o, ok := s.records[k]
	if !ok {
		o = &onceRecords{}
		s.records[k] = o
	}
	s.mu.Unlock()
	o.once.Do(func() { o.recs, o.err = s.src.Query(ctx, eco, name) })
	return o.recs, o.err
}
