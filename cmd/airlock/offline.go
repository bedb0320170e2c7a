package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/airlock-sec/airlock/internal/netx"
	"github.com/airlock-sec/airlock/internal/store"
)

// offlineDests decides, in offline mode, which destinations serve and
// worker may contact: the configured mirrors and data locations, the
// agents' loopback relay, and the GitLab instances of the integrations in
// the platform database (re-read at most every second on a miss, and
// every 30 s at most on a hit, so a deleted integration stops being a
// destination).
type offlineDests struct {
	static *netx.Hosts
	store  *store.Store
	log    *slog.Logger

	mu     sync.Mutex
	gitlab *netx.Hosts
	loaded time.Time
	gen    int64 // netx.ConfigGeneration at the last load
}

func newOfflineDests(st *store.Store, log *slog.Logger, static ...string) (*offlineDests, error) {
	h, err := netx.NewHosts(static...)
	if err != nil {
		return nil, err
	}
	return &offlineDests{static: h, store: st, log: log}, nil
}

// permits is netx.SetOffline's function.
func (o *offlineDests) permits(addr string) bool {
	if o.static.Permits(addr) {
		return true
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	age := time.Since(o.loaded)
	if o.gitlab.Permits(addr) && age < 30*time.Second {
		return true
	}
	if age >= time.Second || o.gen != netx.ConfigGeneration() {
		o.reload()
	}
	return o.gitlab.Permits(addr)
}

// reload reads the integrations' URLs; on failure the previous set stays.
func (o *offlineDests) reload() {
	o.loaded = time.Now()
	o.gen = netx.ConfigGeneration()
	if o.store == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ins, err := o.store.Integrations(ctx)
	if err != nil {
		o.log.Error("offline mode: reading the integrations failed; the GitLab instances read before stay the permitted ones", "error", err.Error())
		return
	}
	var urls []string
	for _, in := range ins {
		urls = append(urls, in.URL)
	}
	h, err := netx.NewHosts(urls...)
	if err != nil {
		o.log.Error("offline mode: an integration's URL is not usable", "error", err.Error())
		return
	}
	o.gitlab = h
}

// goOffline turns offline mode on for serve and worker (unless --offline
// is false): the configured mirrors, the data_sync locations and extra
// (the relay) are permitted, with the integrations' GitLab instances. It
// returns the function that turns it off again.
func goOffline(c serverConfig, p *platform, log *slog.Logger, extra ...string) (func(), error) {
	if !c.Offline {
		log.Warn("offline mode is off (--offline=false): each client still reaches only its own configured host, but the process-wide check of destinations against the configuration is not made")
		return func() {}, nil
	}
	dests := append([]string{}, c.DataSync.URLs...)
	dests = append(dests, p.jobs.Registries.MirrorURLs()...)
	if p.jobs.Fix != nil {
		dests = append(dests, p.jobs.Fix.Registry.MirrorURLs()...)
	}
	dests = append(dests, extra...)
	o, err := newOfflineDests(p.store, log, dests...)
	if err != nil {
		return nil, fmt.Errorf("offline mode: %w", err)
	}
	netx.SetOffline(o.permits)
	log.Info("offline mode: outbound connections go only to the configured GitLab instances, mirrors, data locations and agents", "static_destinations", len(dests))
	return func() { netx.SetOffline(nil) }, nil
}
