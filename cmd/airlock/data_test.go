package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-sec/airlock/internal/bundle"
	"github.com/airlock-sec/airlock/internal/secret"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
)

// TestWorkerDataCatchUp: a bundle uploaded to the server is kept in the
// platform database; a worker with its own, empty vulnerability database
// applies it before its next scan, and one that cannot (no trusted keys)
// refuses to scan with data older than the server's.
func TestWorkerDataCatchUp(t *testing.T) {
	for _, d := range storetest.Engines() {
		t.Run(string(d), func(t *testing.T) { workerDataCatchUp(t, d) })
	}
}

func workerDataCatchUp(t *testing.T, d store.Dialect) {
	ctx := context.Background()
	st := storetest.Open(t, d)
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.toml")
	writeFiles(t, dir, map[string]string{"rules.toml": siteRulesTOML})
	bf, kr := signedBundle(t, dir, "t", "../../testdata/osv-sample/PyPI/all.zip", rules)
	embedded, err := secret.NewDetector(secret.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := newServerData(ctx, st, filepath.Join(dir, "server", "vulndb.sqlite"), kr, embedded, log)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	res, err := srv.ImportBundle(ctx, bf)
	if err != nil || res.Status != "imported" {
		t.Fatalf("upload: %+v %v", res, err)
	}
	if cur := srv.Current(); cur.VulnDB == nil || len(cur.Sources) == 0 || cur.RuleDefaults == nil {
		t.Fatalf("the server's data after the upload: %+v", cur)
	}

	worker, err := newServerData(ctx, st, filepath.Join(dir, "worker", "vulndb.sqlite"), kr, embedded, log)
	if err != nil {
		t.Fatal(err)
	}
	defer worker.Close()
	cur := worker.Current()
	if cur.Err != nil || cur.VulnDB == nil || len(cur.Sources) != 1 || cur.Sources[0].Origin != "osv-sample/PyPI/all.zip" || cur.RuleDefaults == nil {
		t.Fatalf("the worker's data: %+v", cur)
	}

	untrusting, err := newServerData(ctx, st, filepath.Join(dir, "other", "vulndb.sqlite"), nil, embedded, log)
	if err != nil {
		t.Fatal(err)
	}
	defer untrusting.Close()
	if cur := untrusting.Current(); cur.Err == nil || !strings.Contains(cur.Err.Error(), "older than the server's") || !strings.Contains(cur.Err.Error(), "no trusted keys") {
		t.Fatalf("a worker without trusted keys: %+v, want a refusal", cur.Err)
	}
}

// signedBundle makes a key pair k.key/k.pub in dir and a bundle
// dir/data.bundle of inputs signed with it, from source; it returns the
// bundle's path and the keyring that trusts it.
func signedBundle(t *testing.T, dir, source string, inputs ...string) (string, *bundle.Keyring) {
	t.Helper()
	if _, err := bundle.GenerateKey(filepath.Join(dir, "k")); err != nil {
		t.Fatal(err)
	}
	key, err := bundle.LoadPrivateKey(filepath.Join(dir, "k.key"))
	if err != nil {
		t.Fatal(err)
	}
	kr, err := bundle.LoadKeyring(filepath.Join(dir, "k.pub"))
	if err != nil {
		t.Fatal(err)
	}
	bf := filepath.Join(dir, "data.bundle")
	if _, _, err := bundle.Build(context.Background(), bf, inputs, bundle.BuildOptions{Key: key, Source: source}); err != nil {
		t.Fatal(err)
	}
	return bf, kr
}
