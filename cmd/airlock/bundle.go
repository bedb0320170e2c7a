package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/airlock-sec/airlock/internal/bundle"
	"github.com/airlock-sec/airlock/internal/datasync"
	"github.com/airlock-sec/airlock/internal/iac"
	"github.com/airlock-sec/airlock/internal/license"
	"github.com/airlock-sec/airlock/internal/scan"
	"github.com/airlock-sec/airlock/internal/secret"
	"github.com/airlock-sec/airlock/internal/vulndb"
)

func cmdDBKeygen(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("airlock db keygen", flag.ContinueOnError)
	out := fs.String("out", "", "write the key pair to NAME.key (private, mode 0600) and NAME.pub")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: airlock db keygen --out NAME\n\nCreates an Ed25519 key pair for signing data bundles. Keep NAME.key on the\nmachine that builds bundles; give NAME.pub to the sites that import them\n(--trusted-keys).\n\nFlags:")
		fs.PrintDefaults()
	}
	pos, err := parse(fs, args, stderr)
	if err != nil {
		return err
	}
	if *out == "" || len(pos) > 0 {
		return usageError{"db keygen needs --out NAME and nothing else"}
	}
	id, err := bundle.GenerateKey(*out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "key %s: private key %s.key (keep it secret), public key %s.pub (give it to the sites that trust your bundles)\n", id, *out, *out)
	return nil
}

func cmdDBBundle(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("airlock db bundle", flag.ContinueOnError)
	sign := fs.String("sign", "", "private key file to sign the bundle with (from 'airlock db keygen')")
	out := fs.String("out", "", "bundle file to write")
	since := fs.String("since", "", "an earlier bundle: write an incremental bundle of what changed since it")
	source := fs.String("source", "airlock", "the bundle's source name: a site refuses a bundle older than one it imported from the same signer and source")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: airlock db bundle --sign NAME.key --out FILE [flags] INPUT...\n\nPacks OSV all.zip files (vulnerabilities, malicious packages), directories of\nOSV JSON records (or http(s) URLs of them, downloaded first on a connected\nmachine), a gitleaks TOML rule set, a directory of Rego IaC\npolicies and a license table (NAME.licenses.yaml) into one signed bundle to carry\ninto an offline network ('airlock db import --trusted-keys').\n\nFlags:")
		fs.PrintDefaults()
	}
	inputs, err := parse(fs, args, stderr)
	if err != nil {
		return err
	}
	switch {
	case *sign == "":
		return usageError{"db bundle needs --sign KEY (create one with 'airlock db keygen --out NAME')"}
	case *out == "":
		return usageError{"db bundle needs --out FILE"}
	case len(inputs) == 0:
		return usageError{"db bundle needs at least one INPUT (an OSV all.zip, a directory of OSV JSON, a .toml rule set)"}
	}
	key, err := bundle.LoadPrivateKey(*sign)
	if err != nil {
		return err
	}
	// On a connected machine an INPUT may be an http(s) URL (an OSV
	// all.zip, say): it is downloaded first, through the proxy the
	// environment names, and packed like a local file.
	var urls []int
	for i, in := range inputs {
		if _, ok := datasync.Host(in); ok {
			urls = append(urls, i)
		}
	}
	if len(urls) > 0 {
		tmp, err := os.MkdirTemp("", "airlock-bundle-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		var list []string
		for _, i := range urls {
			list = append(list, inputs[i])
		}
		local, err := datasync.Download(ctx, list, tmp, datasync.Options{FromEnvironment: true})
		if err != nil {
			return err
		}
		for j, i := range urls {
			fmt.Fprintf(stdout, "downloaded %s\n", inputs[i])
			inputs[i] = local[j]
		}
	}
	o := bundle.BuildOptions{Key: key, Source: *source}
	if *since != "" {
		// The base need not be trusted here: only its records are read,
		// and a site checks the new bundle against its own keys.
		base, err := bundle.Open(*since, bundle.NewKeyring(*sign, key.Public().(ed25519.PublicKey)))
		if err != nil {
			return fmt.Errorf("--since: %w", err)
		}
		defer base.Close()
		o.Base = base
	}
	start := time.Now()
	m, built, err := bundle.Build(ctx, *out, inputs, o)
	if err != nil {
		return err
	}
	for _, b := range built {
		switch {
		case b.Kind == bundle.KindSecretRules:
			fmt.Fprintf(stdout, "%s: %d secret rules\n", b.From, b.Records)
		case b.Kind == bundle.KindIaCPolicies:
			fmt.Fprintf(stdout, "%s: %d IaC policies\n", b.From, b.Records)
		case b.Kind == bundle.KindLicenseNames:
			fmt.Fprintf(stdout, "%s: %d license table entries\n", b.From, b.Records)
		case m.Base != nil:
			fmt.Fprintf(stdout, "%s: %d %s records changed since the base (%d unchanged) as %s\n", b.From, b.Records, b.Ecosystem, b.Unchanged, b.Origin)
		default:
			fmt.Fprintf(stdout, "%s: %d %s records as %s, newest %s\n", b.From, b.Records, b.Ecosystem, b.Origin, dateOrUnknown(b.SourceDate))
		}
		if b.Skipped > 0 {
			fmt.Fprintf(stdout, "  %d entries are not valid OSV records and were left out\n", b.Skipped)
		}
	}
	fi, err := os.Stat(*out)
	if err != nil {
		return err
	}
	kind := "bundle"
	if m.Base != nil {
		kind = "incremental bundle on " + m.Base.ID[:16]
	}
	fmt.Fprintf(stdout, "wrote %s: %s of %d members, %.1f MB, signed by key %s, in %s\n", *out, kind, len(m.Members), float64(fi.Size())/1e6,
		bundle.KeyID(key.Public().(ed25519.PublicKey)), time.Since(start).Round(time.Millisecond))
	return nil
}

// trustedKeys loads --trusted-keys, else AIRLOCK_TRUSTED_KEYS or the
// configuration file's trusted_keys.
func trustedKeys(flagValue string) (*bundle.Keyring, error) {
	p := flagValue
	if p == "" {
		c, err := loadServerConfig(nil)
		if err != nil {
			return nil, err
		}
		p = c.TrustedKeys
	}
	return bundle.LoadKeyring(p)
}

func cmdDBVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("airlock db verify", flag.ContinueOnError)
	trusted := fs.String("trusted-keys", "", "a .pub file or a directory of them (env AIRLOCK_TRUSTED_KEYS, config trusted_keys)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: airlock db verify --trusted-keys PATH FILE\n\nChecks a bundle's signature against the trusted keys, its format version and\nevery member's sha256, without importing it.\n\nFlags:")
		fs.PrintDefaults()
	}
	pos, err := parse(fs, args, stderr)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"db verify takes one bundle FILE"}
	}
	kr, err := trustedKeys(*trusted)
	if err != nil {
		return err
	}
	b, err := bundle.Open(pos[0], kr)
	if err != nil {
		return err
	}
	defer b.Close()
	if err := b.Verify(ctx); err != nil {
		return err
	}
	printBundle(stdout, b)
	fmt.Fprintln(stdout, "verified: the signature and every member's sha256 match")
	return nil
}

func printBundle(w io.Writer, b *bundle.Bundle) {
	m := b.Manifest
	fmt.Fprintf(w, "bundle %s\n  signed by key %s, created %s, source %q, format %d, file sha256 %s\n", b.ID[:16], b.Signer, m.Created.Format(time.RFC3339), m.Source, m.FormatVersion, b.FileSHA256)
	if m.Base != nil {
		fmt.Fprintf(w, "  incremental: applies on top of bundle %s (created %s)\n", m.Base.ID, m.Base.Created.Format(time.RFC3339))
	}
	for _, mb := range m.Members {
		fmt.Fprintf(w, "  %s  %s  %d records  %d bytes  sha256 %s\n", mb.Name, mb.Kind, mb.Records, mb.Size, mb.SHA256[:16])
	}
}

func importBundle(ctx context.Context, path, trusted string, allowDowngrade bool, db *vulndb.DB, stdout, stderr io.Writer) error {
	kr, err := trustedKeys(trusted)
	if err != nil {
		return err
	}
	b, err := bundle.Open(path, kr)
	if err != nil {
		return fmt.Errorf("%w (nothing was changed)", err)
	}
	defer b.Close()
	o := bundle.ApplyOptions{AllowDowngrade: allowDowngrade}
	tty := isTerminal(stderr)
	if tty {
		o.Progress = func(p vulndb.Progress) {
			fmt.Fprintf(stderr, "\r\x1b[Kimporting %s: %d/%d entries", p.Path, p.Done, p.Total)
		}
	}
	start := time.Now()
	reports, err := bundle.Apply(ctx, db, b, o)
	if tty {
		fmt.Fprint(stderr, "\r\x1b[K")
	}
	if errors.Is(err, vulndb.ErrBundleApplied) {
		fmt.Fprintf(stdout, "%s: bundle %s is already imported (nothing was changed)\n", path, b.ID[:16])
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w (nothing was changed)", err)
	}
	printBundle(stdout, b)
	printReports(stdout, reports, false)
	for _, mb := range b.Manifest.Members {
		switch mb.Kind {
		case bundle.KindSecretRules:
			fmt.Fprintf(stdout, "%s: %d secret rules: scans use them instead of the embedded rules unless given --secret-config\n", mb.Name, mb.Records)
		case bundle.KindIaCPolicies:
			fmt.Fprintf(stdout, "%s: %d IaC policies: scans run them beside the embedded ones (not with --iac-policies-only)\n", mb.Name, mb.Records)
		case bundle.KindLicenseNames:
			fmt.Fprintf(stdout, "%s: %d license table entries: the license analyzer reads them before its own table and the mirrors\n", mb.Name, mb.Records)
		}
	}
	fmt.Fprintf(stdout, "imported bundle %s from signer %s into %s in %s\n", b.ID[:16], b.Signer, db.Path(), time.Since(start).Round(time.Millisecond))
	return nil
}

// siteSecretRules are secret rules a data bundle brought.
type siteSecretRules struct {
	cfg *secret.Config
	det *secret.Detector
}

// sitePayloads reads, in one opening of the database at dbPath, what the
// data bundles imported into it brought for the analyzers: secret rules,
// IaC policies and the license table, by kind. None when there is no
// database or none readable: the vulnerability analyzer says so when it
// runs, and the others keep what is embedded.
func sitePayloads(ctx context.Context, dbPath string) (map[bundle.Kind]*vulndb.Payload, error) {
	db, err := vulndb.Open(ctx, dbPath, vulndb.Options{ReadOnly: true})
	if err != nil {
		return nil, nil
	}
	defer db.Close()
	out := map[bundle.Kind]*vulndb.Payload{}
	for _, k := range []bundle.Kind{bundle.KindSecretRules, bundle.KindIaCPolicies, bundle.KindLicenseNames} {
		p, err := db.Payload(ctx, string(k))
		if err != nil {
			return nil, err
		}
		if p != nil {
			out[k] = p
		}
	}
	return out, nil
}

// siteRules builds the secret rules of a bundle's payload (nil: none),
// with the notice that says they are used.
func siteRules(p *vulndb.Payload) (*siteSecretRules, scan.Notice, error) {
	if p == nil {
		return nil, scan.Notice{}, nil
	}
	site, err := payloadRules(p)
	if err != nil {
		return nil, scan.Notice{}, err
	}
	cfg := site.cfg
	return site, scan.Notice{Level: scan.NoticeInfo, Message: fmt.Sprintf(
		"secret detection uses the %d rules of data bundle %s (imported %s) instead of the embedded rules",
		len(cfg.Rules), shortID(p.Bundle), p.ImportedAt.Format(time.DateOnly))}, nil
}

// siteIaC compiles the IaC policies of a bundle's payload (nil: none),
// with the notice that says they run.
func siteIaC(ctx context.Context, p *vulndb.Payload) (*iac.Set, *scan.Notice, error) {
	if p == nil {
		return nil, nil, nil
	}
	set, err := bundle.CompileIaCPolicies(ctx, p.Data, "bundle "+shortID(p.Bundle))
	if err != nil {
		return nil, nil, err
	}
	return set, &scan.Notice{Level: scan.NoticeInfo, Message: fmt.Sprintf(
		"iac: the %d policies of data bundle %s (imported %s) run beside the embedded ones",
		len(set.Policies), shortID(p.Bundle), p.ImportedAt.Format(time.DateOnly))}, nil
}

// siteLicenseTable reads the license table of a bundle's payload (nil:
// none).
func siteLicenseTable(p *vulndb.Payload) (*license.Table, error) {
	if p == nil {
		return nil, nil
	}
	return bundle.LicenseTable(p.Data, "bundle "+shortID(p.Bundle))
}

// payloadRules builds the secret detector of a bundle's rule set.
func payloadRules(p *vulndb.Payload) (*siteSecretRules, error) {
	cfg, err := secret.ParseConfig("bundle "+shortID(p.Bundle)+" "+p.Name, bytes.NewReader(p.Data))
	if err != nil {
		return nil, err
	}
	det, err := secret.NewDetector(cfg)
	if err != nil {
		return nil, fmt.Errorf("secret rules of bundle %s: %w", shortID(p.Bundle), err)
	}
	return &siteSecretRules{cfg: cfg, det: det}, nil
}

func shortID(id string) string {
	if len(id) > 16 {
		return id[:16]
	}
	return id
}

func cmdDBSync(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("airlock db sync", flag.ContinueOnError)
	dbPath := fs.String("db", defaultDB(), "vulnerability database file (env AIRLOCK_DB)")
	trusted := fs.String("trusted-keys", "", "for signed bundles: a .pub file or a directory of them (env AIRLOCK_TRUSTED_KEYS, config trusted_keys)")
	caFile := fs.String("ca-cert", "", "PEM file (or base64 of PEM) of the CA that signed the location's TLS certificate")
	proxy := fs.String("proxy", "", "HTTP(S) proxy URL (default: HTTPS_PROXY/HTTP_PROXY/NO_PROXY from the environment)")
	noProxy := fs.String("no-proxy", "", "with --proxy: destinations reached directly (NO_PROXY syntax)")
	allowDowngrade := fs.Bool("allow-downgrade", false, "apply a bundle older than one imported from the same signer and source")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: airlock db sync [flags] URL...\n\nFetches signed bundles and OSV all.zip files from the site's own internal HTTP\nlocation and imports what changed, exactly as 'airlock db import' imports a\ncarried-in file (bundles verified against the trusted keys first). Requests are\nconditional (ETag, Last-Modified): an unchanged file is not downloaded again.\nRun it from cron or a systemd timer.\n\nFlags:")
		fs.PrintDefaults()
	}
	urls, err := parse(fs, args, stderr)
	if err != nil {
		return err
	}
	if len(urls) == 0 {
		return usageError{"db sync needs at least one URL"}
	}
	o := datasync.Options{AllowDowngrade: *allowDowngrade, ProxyURL: *proxy, NoProxy: *noProxy, FromEnvironment: *proxy == ""}
	if *caFile != "" {
		if o.CAPEM, err = os.ReadFile(*caFile); err != nil {
			return fmt.Errorf("--ca-cert: %w", err)
		}
	}
	c, err := loadServerConfig(nil)
	if err != nil {
		return err
	}
	if p := *trusted; p != "" || c.TrustedKeys != "" {
		if p == "" {
			p = c.TrustedKeys
		}
		if o.Keys, err = bundle.LoadKeyring(p); err != nil {
			return err
		}
	}
	db, err := vulndb.Open(ctx, *dbPath, vulndb.Options{Create: true})
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := datasync.Sync(ctx, db, urls, o)
	for _, r := range res {
		switch {
		case r.Status == datasync.Unchanged:
			fmt.Fprintf(stdout, "%s: unchanged\n", r.URL)
		case r.Bundle != "":
			fmt.Fprintf(stdout, "%s: imported bundle %s (%.1f MB)\n", r.URL, shortID(r.Bundle), float64(r.Bytes)/1e6)
			printReports(stdout, r.Reports, false)
		default:
			printReports(stdout, r.Reports, false)
		}
	}
	if err != nil {
		return fmt.Errorf("%w (what is listed above was imported; nothing of this URL was)", err)
	}
	return nil
}
