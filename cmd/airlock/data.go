package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/airlock-sec/airlock/internal/bundle"
	"github.com/airlock-sec/airlock/internal/job"
	"github.com/airlock-sec/airlock/internal/secret"
	"github.com/airlock-sec/airlock/internal/server"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/vulndb"
)

// serverData is the scan data of serve and worker: the vulnerability
// database (opened when it first has data, re-read at most every
// refreshEvery, so an import by 'airlock db import', 'db sync' or an upload
// reaches the next scans without a restart) and the secret rules (a
// bundle's, else the embedded ones). It also imports uploaded bundles.
type serverData struct {
	path     string
	keys     *bundle.Keyring
	embedded *secret.Detector
	log      *slog.Logger
	// store keeps the bundles uploaded to the server, which every process
	// applies to its own database before it scans.
	store *store.Store

	mu      sync.Mutex
	db      *vulndb.DB
	data    job.Data
	rulesOf string // the payload digest the rules were built from
	iacOf   string // the payload digest the IaC policies were built from
	namesOf string // the payload digest the license table was read from
	checked time.Time
	// applied are the ids of the kept bundles applied here.
	applied map[string]bool
	// sync is the scheduled sync's state (serve with data_sync.urls).
	sync *server.DataSync
}

const refreshEvery = 30 * time.Second

func newServerData(ctx context.Context, st *store.Store, path string, keys *bundle.Keyring, embedded *secret.Detector, log *slog.Logger) (*serverData, error) {
	d := &serverData{store: st, path: path, keys: keys, embedded: embedded, log: log, data: job.Data{Rules: embedded}}
	if err := d.refresh(ctx); err != nil {
		return nil, err
	}
	if d.db == nil {
		log.Warn("dependency scanning disabled until vulnerability data is imported ('airlock db import', 'airlock db sync' or POST /api/v1/data/bundles)", "db", path)
	}
	return d, nil
}

// refresh re-reads the sources and the bundle's rules. Called with mu held
// or before the value is shared.
func (d *serverData) refresh(ctx context.Context) error {
	d.checked = time.Now()
	if err := d.catchUp(ctx); err != nil {
		return err
	}
	if d.db == nil {
		db, _, err := openDB(ctx, d.path)
		switch {
		case errors.Is(err, errNoData) || errors.Is(err, os.ErrNotExist) || errors.Is(err, vulndb.ErrNoData):
			return nil
		case err != nil:
			return err
		}
		d.db = db
	}
	srcs, err := d.db.Sources(ctx)
	if err != nil {
		return err
	}
	d.data.VulnDB, d.data.Sources = d.db, sources(srcs)
	p, err := d.payload(ctx, bundle.KindSecretRules, &d.rulesOf, func(p *vulndb.Payload) error {
		site, err := payloadRules(p)
		if err == nil {
			d.data.Rules, d.data.RuleDefaults = site.det, site.cfg
			d.log.Info("secret detection uses the rules of a data bundle", "bundle", shortID(p.Bundle), "rules", len(site.cfg.Rules))
		}
		return err
	})
	if err != nil {
		return err
	}
	if p == nil {
		d.data.Rules, d.data.RuleDefaults, d.rulesOf = d.embedded, nil, ""
	}
	if _, err := d.payload(ctx, bundle.KindIaCPolicies, &d.iacOf, func(p *vulndb.Payload) error {
		set, err := bundle.CompileIaCPolicies(ctx, p.Data, "bundle "+shortID(p.Bundle))
		if err == nil {
			d.data.IaCPolicies = set
			d.log.Info("IaC scanning runs the policies of a data bundle beside the embedded ones", "bundle", shortID(p.Bundle), "policies", len(set.Policies))
		}
		return err
	}); err != nil {
		return err
	}
	_, err = d.payload(ctx, bundle.KindLicenseNames, &d.namesOf, func(p *vulndb.Payload) error {
		t, err := bundle.LicenseTable(p.Data, "bundle "+shortID(p.Bundle))
		if err == nil {
			d.data.LicenseNames, d.data.LicensePackages = t.Names, t.Packages
			d.log.Info("the license analyzer reads the license table of a data bundle", "bundle", shortID(p.Bundle), "entries", t.Len())
		}
		return err
	})
	return err
}

// payload reads the payload of a kind and, when its digest is not *of
// (the one in use), hands it to use, recording the digest on success. A
// payload use refuses was verified when imported: the failure is logged
// and what is in use stays.
func (d *serverData) payload(ctx context.Context, kind bundle.Kind, of *string, use func(*vulndb.Payload) error) (*vulndb.Payload, error) {
	p, err := d.db.Payload(ctx, string(kind))
	if err != nil || p == nil || p.SHA256 == *of {
		return p, err
	}
	if err := use(p); err != nil {
		d.log.Error("the "+string(kind)+" of a data bundle cannot be used; what was in use stays", "bundle", shortID(p.Bundle), "error", err.Error())
		return p, nil
	}
	*of = p.SHA256
	return p, nil
}

// Current is job.Config.Data.
func (d *serverData) Current() job.Data {
	d.mu.Lock()
	defer d.mu.Unlock()
	if time.Since(d.checked) >= refreshEvery || d.behind() {
		if err := d.refresh(context.Background()); err != nil {
			d.log.Error("re-reading the vulnerability data failed; scans use what was read before", "db", d.path, "error", err.Error())
		}
	}
	return d.data
}

// behind reports whether the server keeps a bundle this process has not
// applied: the data must be brought up to date before the next scan,
// without waiting for the periodic refresh.
func (d *serverData) behind() bool {
	if d.store == nil {
		return false
	}
	kept, err := d.store.DataBundles(context.Background())
	if err != nil {
		return false
	}
	for _, k := range kept {
		if !d.applied[k.ID] {
			return true
		}
	}
	return false
}

// Close closes the database.
func (d *serverData) Close() {
	if d.db != nil {
		d.db.Close()
	}
}

// TempDir implements server.DataManager: uploads land beside the data.
func (d *serverData) TempDir() string { return filepath.Dir(d.path) }

// ImportBundle implements server.DataManager.
func (d *serverData) ImportBundle(ctx context.Context, file string) (server.DataImport, error) {
	if d.keys == nil {
		return server.DataImport{}, &server.DataError{Status: 503, Code: "data_uploads_disabled", Err: errors.New("no trusted keys are configured (trusted_keys)")}
	}
	b, err := bundle.Open(file, d.keys)
	if err != nil {
		code := "invalid_bundle"
		if errors.Is(err, bundle.ErrUntrusted) {
			code = "untrusted_bundle"
		}
		return server.DataImport{}, &server.DataError{Status: 422, Code: code, Err: withoutFile(err)}
	}
	defer b.Close()
	res := server.DataImport{Status: "imported", Bundle: server.DataBundle{ID: b.ID, Signer: b.Signer, Source: b.Manifest.Source, Created: b.Manifest.Created, Members: len(b.Manifest.Members)}}
	if b.Manifest.Base != nil {
		res.Bundle.Base = b.Manifest.Base.ID
	}
	if err := os.MkdirAll(filepath.Dir(d.path), 0o755); err != nil {
		return res, err
	}
	db, err := vulndb.Open(ctx, d.path, vulndb.Options{Create: true})
	if err != nil {
		return res, err
	}
	defer db.Close()
	reports, err := bundle.Apply(ctx, db, b, bundle.ApplyOptions{})
	var de *vulndb.DowngradeError
	var mb *vulndb.MissingBaseError
	switch {
	case errors.Is(err, vulndb.ErrBundleApplied):
		res.Status = "unchanged"
		if raw, err := os.ReadFile(file); err == nil {
			// Kept for the workers if it was imported another way first.
			if err := d.keep(ctx, b, raw); err != nil {
				return res, err
			}
		}
		return res, nil
	case errors.As(err, &de):
		return res, &server.DataError{Status: 409, Code: "downgrade", Err: withoutFile(err)}
	case errors.As(err, &mb):
		return res, &server.DataError{Status: 409, Code: "missing_base", Err: withoutFile(err)}
	case err != nil:
		var be *bundle.Error
		if errors.As(err, &be) {
			return res, &server.DataError{Status: 422, Code: "invalid_bundle", Err: withoutFile(err)}
		}
		return res, err
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return res, err
	}
	if err := d.keep(ctx, b, raw); err != nil {
		return res, fmt.Errorf("the bundle was imported, but keeping it for the workers failed: %w", err)
	}
	for _, r := range reports {
		s := r.Source
		res.Sources = append(res.Sources, server.DataSource{Origin: s.Origin, Ecosystem: s.Ecosystem, Records: s.Records, NewestModified: s.NewestModified, ImportedAt: s.ImportedAt})
	}
	d.mu.Lock()
	err = d.refresh(ctx)
	d.mu.Unlock()
	if err != nil {
		return res, fmt.Errorf("the bundle was imported, but re-reading the data failed: %w", err)
	}
	return res, nil
}

// withoutFile drops the temporary file's name from a bundle's error: the
// uploader never saw it.
func withoutFile(err error) error {
	var be *bundle.Error
	if errors.As(err, &be) {
		return be.Err
	}
	return err
}

// Status implements server.DataManager.
func (d *serverData) Status(ctx context.Context) (server.DataStatus, error) {
	st := server.DataStatus{Sources: []server.DataSource{}, Bundles: []server.DataBundle{}}
	d.mu.Lock()
	db := d.db
	if d.sync != nil {
		s := *d.sync
		st.Sync = &s
	}
	d.mu.Unlock()
	if db == nil {
		return st, nil
	}
	srcs, err := db.Sources(ctx)
	if err != nil {
		return st, err
	}
	for _, s := range srcs {
		st.Sources = append(st.Sources, server.DataSource{Origin: s.Origin, Ecosystem: s.Ecosystem, Records: s.Records, NewestModified: s.NewestModified, ImportedAt: s.ImportedAt})
	}
	bs, err := db.Bundles(ctx)
	if err != nil {
		return st, err
	}
	for _, b := range bs {
		st.Bundles = append(st.Bundles, server.DataBundle{ID: b.ID, Signer: b.Signer, Source: b.Source, Created: b.Created, Base: b.Base, Members: b.Members, ImportedAt: b.ImportedAt})
	}
	return st, nil
}

var _ server.DataManager = (*serverData)(nil)

// catchUp applies the bundles uploaded to the server that this process's
// database lacks (a worker on another machine, with its own --db). A
// bundle it cannot apply makes its data older than the server's: Err is
// set and scans refuse to run until it can.
func (d *serverData) catchUp(ctx context.Context) error {
	d.data.Err = nil
	if d.store == nil {
		return nil
	}
	kept, err := d.store.DataBundles(ctx)
	if err != nil || len(kept) == 0 {
		return err
	}
	applied := map[string]bool{}
	defer func() { d.applied = applied }()
	if d.db != nil {
		bs, err := d.db.Bundles(ctx)
		if err != nil {
			return err
		}
		for _, b := range bs {
			applied[b.ID] = true
		}
	}
	for _, k := range kept {
		if applied[k.ID] {
			continue
		}
		if err := d.applyKept(ctx, k); err == nil {
			applied[k.ID] = true
		} else {
			d.data.Err = fmt.Errorf("this process's vulnerability data is older than the server's: bundle %s (created %s) could not be applied to %s: %w",
				shortID(k.ID), k.Created.Format(time.RFC3339), d.path, err)
			d.log.Error("data bundle not applied; scans refuse to run until it is", "bundle", shortID(k.ID), "db", d.path, "error", err.Error())
			return nil
		}
		d.log.Info("applied a data bundle uploaded to the server", "bundle", shortID(k.ID), "db", d.path)
	}
	return nil
}

func (d *serverData) applyKept(ctx context.Context, k store.DataBundle) error {
	if d.keys == nil {
		return errors.New("no trusted keys are configured here (trusted_keys, AIRLOCK_TRUSTED_KEYS)")
	}
	raw, err := d.store.DataBundleFile(ctx, k.ID)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(d.path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(d.path), ".kept-*.bundle")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(raw)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	b, err := bundle.Open(f.Name(), d.keys)
	if err != nil {
		return withoutFile(err)
	}
	defer b.Close()
	db, err := vulndb.Open(ctx, d.path, vulndb.Options{Create: true})
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = bundle.Apply(ctx, db, b, bundle.ApplyOptions{})
	var de *vulndb.DowngradeError
	if errors.Is(err, vulndb.ErrBundleApplied) || errors.As(err, &de) {
		// Applied, or superseded here by a newer bundle of its signer.
		return nil
	}
	return err
}

// keep stores an applied bundle for the worker processes.
func (d *serverData) keep(ctx context.Context, b *bundle.Bundle, raw []byte) error {
	if d.store == nil {
		return nil
	}
	k := store.DataBundle{ID: b.ID, Signer: b.Signer, Source: b.Manifest.Source, Created: b.Manifest.Created, ImportedAt: time.Now()}
	if b.Manifest.Base != nil {
		k.Base = b.Manifest.Base.ID
	}
	return d.store.PutDataBundle(ctx, k, raw)
}
