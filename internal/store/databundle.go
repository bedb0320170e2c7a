package store

import (
	"context"
	"time"
)

// DataBundle is a signed data bundle uploaded to the server (the file is
// kept whole, for the workers).
type DataBundle struct {
	ID         string    `json:"id"`
	Signer     string    `json:"signer"`
	Source     string    `json:"source"`
	Created    time.Time `json:"created"`
	Base       string    `json:"base,omitempty"`
	Size       int64     `json:"size"`
	ImportedAt time.Time `json:"imported_at"`
}

// PutDataBundle keeps a bundle's file; a bundle kept before is left as it
// is.
func (q Queries) PutDataBundle(ctx context.Context, b DataBundle, data []byte) error {
	_, err := q.exec(ctx, `INSERT INTO data_bundle (id, signer, source, created, base, size, data, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		b.ID, b.Signer, b.Source, millis(b.Created), b.Base, int64(len(data)), data, millis(b.ImportedAt))
	return err
}

// DataBundles lists the kept bundles, oldest first (a base before the
// incremental bundles built on it).
func (q Queries) DataBundles(ctx context.Context) ([]DataBundle, error) {
	rows, err := q.query(ctx, `SELECT id, signer, source, created, base, size, imported_at FROM data_bundle ORDER BY created, imported_at, id`)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r interface{ Scan(...any) error }) (DataBundle, error) {
		var b DataBundle
		var created, imported int64
		err := r.Scan(&b.ID, &b.Signer, &b.Source, &created, &b.Base, &b.Size, &imported)
		b.Created, b.ImportedAt = fromMillis(created), fromMillis(imported)
		return b, err
	})
}

// DataBundleFile returns a kept bundle's file.
func (q Queries) DataBundleFile(ctx context.Context, id string) ([]byte, error) {
	var data []byte
	if err := q.row(ctx, `SELECT data FROM data_bundle WHERE id = ?`, id).Scan(&data); err != nil {
		return nil, notFound(err, "data bundle", id)
	}
	return data, nil
}
