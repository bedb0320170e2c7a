package vuln

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/airlock-sec/airlock/internal/osv"
)

type countingSource struct{ names, queries atomic.Int32 }

func (c *countingSource) Query(context.Context, string, string) ([]*osv.Vulnerability, error) {
	c.queries.Add(1)
	return []*osv.Vulnerability{{ID: "X-1"}}, nil
}

func (c *countingSource) Names(context.Context, string) (map[string]bool, error) {
	c.names.Add(1)
	return map[string]bool{"a": true}, nil
}

// TestShared: analyzers matching side by side read each package's records
// and each ecosystem's names once.
func TestShared(t *testing.T) {
	src := &countingSource{}
	s := Shared(src)
	if Shared(s) != s {
		t.Error("Shared wrapped twice")
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Names(context.Background(), "npm")
			if rs, _ := s.Query(context.Background(), "npm", "a"); len(rs) != 1 {
				t.Error("records lost")
			}
		}()
	}
	wg.Wait()
	if src.names.Load() != 1 || src.queries.Load() != 1 {
		t.Errorf("%d Names and %d Query calls, want 1 each", src.names.Load(), src.queries.Load())
	}
}
