package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/airlock-sec/airlock/internal/bundle"
	"github.com/airlock-sec/airlock/internal/datasync"
	"github.com/airlock-sec/airlock/internal/server"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/vulndb"
)

// dataSyncConfig is the data_sync: section of the server's configuration:
// the site's internal locations of signed bundles and OSV all.zip files,
// fetched on a schedule and imported exactly like an upload.
type dataSyncConfig struct {
	URLs     []string      `yaml:"urls"`
	Interval time.Duration `yaml:"interval"`
	// CACertificate is a PEM file (or base64 of PEM) of the CA that signed
	// the location's certificate.
	CACertificate string `yaml:"ca_certificate"`
	// ProxyURL and NoProxy reach the location; without ProxyURL the
	// standard HTTPS_PROXY/NO_PROXY of the environment apply.
	ProxyURL string `yaml:"proxy_url"`
	NoProxy  string `yaml:"no_proxy"`
}

// defaultSyncInterval is data_sync.interval's default.
const defaultSyncInterval = 6 * time.Hour

// fromEnv applies AIRLOCK_DATA_SYNC_URLS (URLs separated by spaces or
// commas) and AIRLOCK_DATA_SYNC_INTERVAL.
func (c *dataSyncConfig) fromEnv() error {
	if v := os.Getenv("AIRLOCK_DATA_SYNC_URLS"); v != "" {
		c.URLs = strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' })
	}
	if v := os.Getenv("AIRLOCK_DATA_SYNC_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("AIRLOCK_DATA_SYNC_INTERVAL=%q: not a duration (for example 6h or 30m)", v)
		}
		c.Interval = d
	}
	return nil
}

// options checks the section and builds the sync's options; nil when no
// URL is configured.
func (c dataSyncConfig) options(keys *bundle.Keyring) (*datasync.Options, error) {
	if len(c.URLs) == 0 {
		return nil, nil
	}
	for i, raw := range c.URLs {
		if _, ok := datasync.Host(raw); !ok {
			return nil, fmt.Errorf("data_sync.urls[%d]: %q is not an http(s) URL", i, raw)
		}
	}
	if c.Interval < 0 || (c.Interval > 0 && c.Interval < time.Minute) {
		return nil, fmt.Errorf("data_sync.interval %s: give at least 1m (or leave it out for %s)", c.Interval, defaultSyncInterval)
	}
	o := &datasync.Options{Keys: keys, ProxyURL: c.ProxyURL, NoProxy: c.NoProxy, FromEnvironment: c.ProxyURL == ""}
	if c.CACertificate != "" {
		b, err := os.ReadFile(c.CACertificate)
		if err != nil {
			return nil, fmt.Errorf("data_sync.ca_certificate: %w", err)
		}
		o.CAPEM = b
	}
	return o, nil
}

// syncLoop fetches the configured locations now and then every interval
// until ctx ends. A failed round is logged, recorded for GET
// /api/v1/data and retried at the next one; the data in use stays.
func (d *serverData) syncLoop(ctx context.Context, urls []string, every time.Duration, o datasync.Options) {
	if every <= 0 {
		every = defaultSyncInterval
	}
	d.mu.Lock()
	d.sync = &server.DataSync{URLs: urls, Interval: every.String()}
	d.mu.Unlock()
	for {
		d.syncOnce(ctx, urls, o)
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// syncOnce is one round of the scheduled sync.
func (d *serverData) syncOnce(ctx context.Context, urls []string, o datasync.Options) {
	o.Applied = func(ctx context.Context, b *bundle.Bundle, file string) error {
		raw, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		// Kept for the workers, as an uploaded bundle is.
		if err := d.keep(ctx, b, raw); err != nil {
			return fmt.Errorf("the bundle was imported, but keeping it for the workers failed: %w", err)
		}
		return nil
	}
	started := time.Now()
	res, err := d.syncDB(ctx, urls, o)
	imported := 0
	var results []server.DataSyncResult
	for _, r := range res {
		results = append(results, server.DataSyncResult{URL: r.URL, Status: string(r.Status), Bundle: r.Bundle, Bytes: r.Bytes})
		if r.Status != datasync.Imported {
			continue
		}
		imported++
		what := "archive"
		if r.Bundle != "" {
			what = "bundle:" + r.Bundle
		}
		d.log.Info("data sync imported new data", "url", r.URL, "bundle", shortID(r.Bundle), "bytes", r.Bytes)
		if d.store != nil {
			if aerr := d.store.Audit(ctx, store.AuditEntry{At: time.Now(), Actor: "system:data_sync", Action: "data.import", Target: what, Detail: "fetched from " + r.URL}); aerr != nil {
				d.log.Error("recording the data sync in the audit log failed", "error", aerr.Error())
			}
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.sync
	if s == nil {
		s = &server.DataSync{URLs: urls}
		d.sync = s
	}
	s.LastAttempt, s.Results = started, results
	if err != nil {
		s.LastError = err.Error()
		d.log.Error("data sync failed; the data in use stays and the sync is retried at the next interval", "error", err.Error())
	} else {
		s.LastError, s.LastSuccess = "", time.Now()
	}
	if imported > 0 {
		if rerr := d.refresh(ctx); rerr != nil {
			d.log.Error("re-reading the vulnerability data after a sync failed", "error", rerr.Error())
		}
	}
}

// syncDB runs datasync.Sync on the server's database.
func (d *serverData) syncDB(ctx context.Context, urls []string, o datasync.Options) ([]datasync.Result, error) {
	if err := os.MkdirAll(filepath.Dir(d.path), 0o755); err != nil {
		return nil, err
	}
	db, err := vulndb.Open(ctx, d.path, vulndb.Options{Create: true})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	res, err := datasync.Sync(ctx, db, urls, o)
	if err != nil && errors.Is(err, context.Canceled) {
		return res, ctx.Err()
	}
	return res, err
}
