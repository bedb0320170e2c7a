package bundle

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/airlock-sec/airlock/internal/vulndb"
)

// ApplyOptions control Apply.
type ApplyOptions struct {
	// AllowDowngrade applies a bundle older than the newest one applied
	// from the same signer and source.
	AllowDowngrade bool
	// Progress, when set, is called as records are read.
	Progress func(vulndb.Progress)
}

// Apply checks every member of an opened bundle against its manifest and
// applies it to the database in one transaction: all members or none.
func Apply(ctx context.Context, db *vulndb.DB, b *Bundle, o ApplyOptions) ([]vulndb.FileReport, error) {
	work, err := os.MkdirTemp(filepath.Dir(db.Path()), ".airlock-bundle-*")
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	defer os.RemoveAll(work)
	ex, err := b.Extract(ctx, work)
	if err != nil {
		return nil, err
	}
	imp := vulndb.BundleImport{ID: b.ID, Signer: b.Signer, Source: b.Manifest.Source, Created: b.Manifest.Created,
		FileSHA256: b.FileSHA256, AllowDowngrade: o.AllowDowngrade, Progress: o.Progress}
	if b.Manifest.Base != nil {
		imp.Base = b.Manifest.Base.ID
	}
	for _, e := range ex {
		switch e.Kind {
		case KindOSV:
			imp.Members = append(imp.Members, vulndb.BundleMember{Path: e.Path, Name: e.Name, Origin: e.Origin, Merge: e.Merge})
		case KindSecretRules, KindIaCPolicies, KindLicenseNames:
			data, err := os.ReadFile(e.Path)
			if err != nil {
				return nil, fmt.Errorf("bundle: %w", err)
			}
			// Policies that do not compile here, a table with a bad
			// entry, are refused before anything is applied.
			switch e.Kind {
			case KindIaCPolicies:
				if _, err := compileIaC(ctx, data, e.Name); err != nil {
					return nil, &Error{Path: b.Path, Err: err}
				}
			case KindLicenseNames:
				if _, err := LicenseTable(data, e.Name); err != nil {
					return nil, &Error{Path: b.Path, Err: err}
				}
			}
			imp.Payloads = append(imp.Payloads, vulndb.Payload{Kind: string(e.Kind), Name: e.Name, SHA256: e.SHA256, Data: data, SourceDate: e.SourceDate})
		}
	}
	reports, err := db.ImportBundle(ctx, imp)
	if err != nil {
		return nil, &Error{Path: b.Path, Err: err}
	}
	return reports, nil
}
