package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/airlock-sec/airlock/internal/store"
)

// The server's vulnerability data can be updated through the API: an
// operator uploads a signed bundle once (POST /api/v1/data/bundles) and it
// is verified against the server's trusted keys and applied, exactly as
// 'airlock db import --trusted-keys' would. Scans after it use the new data.

// DataManager is the server's scan data: it imports bundles and says what
// is imported. Nil in Config means uploads are not configured.
type DataManager interface {
	// ImportBundle verifies and applies the bundle file.
	ImportBundle(ctx context.Context, file string) (DataImport, error)
	// Status describes the imported data.
	Status(ctx context.Context) (DataStatus, error)
	// TempDir is where uploads are written before they are checked.
	TempDir() string
}

// DataImport is the answer to an upload.
type DataImport struct {
	// Status is "imported", or "unchanged" for a bundle imported before.
	Status string     `json:"status"`
	Bundle DataBundle `json:"bundle"`
	// Sources are the vulnerability data sources the bundle's members
	// became.
	Sources []DataSource `json:"sources,omitempty"`
}

// DataBundle is an imported bundle.
type DataBundle struct {
	ID         string    `json:"id"`
	Signer     string    `json:"signer"`
	Source     string    `json:"source"`
	Created    time.Time `json:"created"`
	Base       string    `json:"base,omitempty"`
	Members    int       `json:"members"`
	ImportedAt time.Time `json:"imported_at,omitzero"`
}

// DataSource is one imported vulnerability data source.
type DataSource struct {
	Origin         string    `json:"origin"`
	Ecosystem      string    `json:"ecosystem"`
	Records        int       `json:"records"`
	NewestModified time.Time `json:"newest_modified"`
	ImportedAt     time.Time `json:"imported_at"`
}

// DataStatus is the server's data.
type DataStatus struct {
	Sources []DataSource `json:"sources"`
	Bundles []DataBundle `json:"bundles"`
	// Sync is the scheduled sync from the site's internal location, when
	// one is configured (data_sync.urls).
	Sync *DataSync `json:"sync,omitempty"`
}

// DataSync is the state of the scheduled sync.
type DataSync struct {
	URLs     []string `json:"urls"`
	Interval string   `json:"interval"`
	// LastAttempt is when the last round started; LastSuccess when a round
	// last fetched every URL; LastError what the last round failed on.
	LastAttempt time.Time        `json:"last_attempt,omitzero"`
	LastSuccess time.Time        `json:"last_success,omitzero"`
	LastError   string           `json:"last_error,omitempty"`
	Results     []DataSyncResult `json:"results,omitempty"`
}

// DataSyncResult is what the last round did with one URL.
type DataSyncResult struct {
	URL    string `json:"url"`
	Status string `json:"status"`
	Bundle string `json:"bundle,omitempty"`
	Bytes  int64  `json:"bytes"`
}

// DataError is a refused upload: Status is the HTTP status (422 for a
// bundle that is not trusted or not intact, 409 for a downgrade or a
// missing base).
type DataError struct {
	Status int
	Code   string
	Err    error
}

func (e *DataError) Error() string { return e.Err.Error() }
func (e *DataError) Unwrap() error { return e.Err }

// DefaultMaxBundleUpload bounds an uploaded bundle unless
// Config.MaxBundleUpload says otherwise.
const DefaultMaxBundleUpload = 4 << 30

// tooLarge refuses an upload over limit, naming the limit.
func tooLarge(limit int64) uploadError {
	return uploadError{http.StatusRequestEntityTooLarge, apiError{Code: "too_large", Message: fmt.Sprintf("the bundle is larger than this server's upload limit of %s (%d bytes)", sizeText(limit), limit),
		Hint: "build a smaller bundle (an incremental one with --base), import it with 'airlock db import' on the server, or raise max_bundle_upload (AIRLOCK_MAX_BUNDLE_UPLOAD)"}}
}

// sizeText is a byte count in the largest binary unit that divides it,
// else in bytes.
func sizeText(n int64) string {
	for _, u := range []struct {
		shift int
		name  string
	}{{30, "GiB"}, {20, "MiB"}, {10, "KiB"}} {
		if n >= 1<<u.shift && n%(1<<u.shift) == 0 {
			return fmt.Sprintf("%d %s", n>>u.shift, u.name)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

// uploadError is a refused upload with its HTTP status.
type uploadError struct {
	Status int
	apiError
}

func (e uploadError) Error() string { return e.Message }

// errUploadsDisabled refuses uploads on a server without trusted keys.
var errUploadsDisabled = uploadError{http.StatusServiceUnavailable, apiError{Code: "data_uploads_disabled", Message: "this server takes no bundle uploads",
	Hint: "set trusted_keys (AIRLOCK_TRUSTED_KEYS) to the public keys bundles must be signed by, and restart"}}

func (s *Server) uploadBundle(w http.ResponseWriter, r *http.Request, p principal) {
	limit := s.c.MaxBundleUpload
	var res DataImport
	var err error
	if r.ContentLength > limit {
		// Refused before reading: the client learns at once.
		err = tooLarge(limit)
	} else {
		res, err = s.importUpload(r.Context(), http.MaxBytesReader(w, r.Body, limit), p)
	}
	var ue uploadError
	if errors.As(err, &ue) {
		writeError(w, ue.Status, ue.apiError)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// importUpload writes an uploaded bundle (body, bounded by the caller to
// Config.MaxBundleUpload) to a temporary file as it arrives, never holding
// it in memory, imports it and audits the import:
// POST /api/v1/data/bundles and the data page's upload form. A refusal
// is an uploadError.
func (s *Server) importUpload(ctx context.Context, body io.Reader, p principal) (DataImport, error) {
	if s.c.Data == nil {
		return DataImport{}, errUploadsDisabled
	}
	f, err := os.CreateTemp(s.c.Data.TempDir(), ".upload-*.bundle")
	if err != nil {
		return DataImport{}, err
	}
	defer os.Remove(f.Name())
	limit := s.c.MaxBundleUpload
	n, err := io.Copy(f, io.LimitReader(body, limit+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe) || n > limit:
		return DataImport{}, tooLarge(limit)
	case err != nil:
		return DataImport{}, uploadError{http.StatusBadRequest, apiError{Code: "upload_failed", Message: "reading the upload: " + err.Error()}}
	case n == 0:
		return DataImport{}, uploadError{http.StatusUnprocessableEntity, apiError{Code: "empty_upload", Message: "the request body is empty: send the bundle file as the body (curl --data-binary @FILE)"}}
	}
	res, err := s.c.Data.ImportBundle(ctx, f.Name())
	var de *DataError
	if errors.As(err, &de) {
		return res, uploadError{de.Status, apiError{Code: de.Code, Message: de.Err.Error()}}
	}
	if err != nil {
		return res, err
	}
	if res.Status == "imported" {
		if err := s.c.Store.Audit(ctx, store.AuditEntry{At: s.c.Now(), Actor: p.actor(), Action: "data.import", Target: "bundle:" + res.Bundle.ID,
			Detail: fmt.Sprintf("signer %s, source %q, created %s", res.Bundle.Signer, res.Bundle.Source, res.Bundle.Created.Format(time.RFC3339))}); err != nil {
			return res, err
		}
	}
	return res, nil
}

func (s *Server) dataStatus(w http.ResponseWriter, r *http.Request, _ principal) {
	if s.c.Data == nil {
		writeJSON(w, http.StatusOK, DataStatus{Sources: []DataSource{}, Bundles: []DataBundle{}})
		return
	}
	st, err := s.c.Data.Status(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}
