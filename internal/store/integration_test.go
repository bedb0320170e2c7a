package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
)

// TestIntegrationNarrowUpdates: a test result and a discovery outcome each
// change only their own columns, so two jobs holding copies of the row
// do not undo each other's.
func TestIntegrationNarrowUpdates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		in := newIntegration(t, s.Queries)
		found := t0.Add(time.Minute)
		if err := s.SetDiscovery(ctx, in.ID, "ok", "", &found, found); err != nil {
			t.Fatal(err)
		}
		checked := t0.Add(2 * time.Minute)
		if err := s.SetIntegrationCheck(ctx, in.ID, []byte(`{"ok":false}`), checked, checked); err != nil {
			t.Fatal(err)
		}
		// A failed discovery keeps the time of the last one that worked.
		if err := s.SetDiscovery(ctx, in.ID, "failed", "401", nil, t0.Add(3*time.Minute)); err != nil {
			t.Fatal(err)
		}
		got, err := s.Integration(ctx, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := in
		want.DiscoveryStatus, want.DiscoveryError, want.DiscoveredAt = "failed", "401", &found
		want.Check, want.CheckedAt, want.UpdatedAt = []byte(`{"ok":false}`), &checked, t0.Add(3*time.Minute)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got)\n%s", diff)
		}
		if err := s.SetIntegrationCheck(ctx, in.ID+100, []byte(`{}`), checked, checked); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing integration: %v", err)
		}
		if err := s.SetDiscovery(ctx, in.ID+100, "ok", "", nil, checked); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing integration: %v", err)
		}
	})
}

// TestSwapOAuthGrant: a grant is replaced only over the one the caller
// read, so a slow refresh cannot put back a grant replaced meanwhile.
func TestSwapOAuthGrant(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		in := newIntegration(t, s.Queries)
		if err := s.SetOAuthGrant(ctx, in.ID, `{"v":1}`); err != nil {
			t.Fatal(err)
		}
		// Re-authorized meanwhile.
		if err := s.SetOAuthGrant(ctx, in.ID, `{"v":2}`); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.SwapOAuthGrant(ctx, in.ID, `{"v":1}`, `{"v":1,"refresh_error":"x"}`); err != nil || ok {
			t.Fatalf("swap over a replaced grant: %v %v", ok, err)
		}
		if g, _ := s.OAuthGrant(ctx, in.ID); g != `{"v":2}` {
			t.Fatalf("grant %s, want the new one", g)
		}
		if ok, err := s.SwapOAuthGrant(ctx, in.ID, `{"v":2}`, `{"v":3}`); err != nil || !ok {
			t.Fatalf("swap over the current grant: %v %v", ok, err)
		}
		if g, _ := s.OAuthGrant(ctx, in.ID); g != `{"v":3}` {
			t.Fatalf("grant %s, want v3", g)
		}
	})
}
