package server

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
)

// The offline data page: the imported vulnerability data, where it came
// from, the scheduled sync, and the bundle upload form.

// dataSourceRow is a data source with its age.
type dataSourceRow struct {
	DataSource
	Age   string
	Stale bool
}

func (s *Server) dataPage(w http.ResponseWriter, r *http.Request, ws webSession) {
	st := DataStatus{Sources: []DataSource{}, Bundles: []DataBundle{}}
	if s.c.Data != nil {
		var err error
		if st, err = s.c.Data.Status(r.Context()); err != nil {
			s.uiFail(w, r, &ws, err)
			return
		}
	}
	now := s.c.Now()
	rows := make([]dataSourceRow, 0, len(st.Sources))
	records := 0
	for _, src := range st.Sources {
		row := dataSourceRow{DataSource: src, Age: "unknown (no record has a modification time)", Stale: true}
		if !src.NewestModified.IsZero() {
			a := now.Sub(src.NewestModified)
			row.Age, row.Stale = age(a), a > staleDataAge
		}
		records += src.Records
		rows = append(rows, row)
	}
	v := map[string]any{"Sources": rows, "Records": records, "Bundles": st.Bundles, "Sync": st.Sync, "Uploads": s.c.Data != nil, "Max": sizeText(s.c.MaxBundleUpload), "MaxBytes": s.c.MaxBundleUpload, "Script": UploadJSPath}
	if s.c.Data == nil {
		v["Disabled"] = errUploadsDisabled
	}
	s.render(w, r, "data.html", &ws, "Offline data", v)
}

// age says how long ago, in days and hours.
func age(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Round(time.Hour)
	days, hours := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	switch {
	case days == 0:
		return fmt.Sprintf("%d hours", hours)
	case hours == 0:
		return fmt.Sprintf("%d days", days)
	}
	return fmt.Sprintf("%d days %d hours", days, hours)
}

// csrfHeader carries the CSRF token of a raw-body upload.
const csrfHeader = "X-CSRF-Token"

// bundleForm is POST /data/bundles: the bundle as the file field bundle of
// a multipart form whose csrf_token field comes before it (as the page's
// form sends it), or as the raw body with the CSRF token in the
// X-CSRF-Token header. It imports through importUpload, as the API does.
func (s *Server) bundleForm(w http.ResponseWriter, r *http.Request, ws webSession) {
	limit := s.c.MaxBundleUpload
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var res DataImport
	var err error
	if mt == "multipart/form-data" {
		// The form's other fields and its boundaries are small: a body
		// much larger than the limit is refused before it is read.
		limit += maxBody
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if r.ContentLength > limit {
		// Refused before reading, so the browser learns at once;
		// the CSRF token is not read either, and nothing happens.
		s.uiFail(w, r, &ws, tooLarge(s.c.MaxBundleUpload))
		return
	}
	if mt == "multipart/form-data" {
		res, err = s.multipartBundle(w, r, ws)
		if err == errCSRF {
			return
		}
	} else {
		if !sameSecret(r.Header.Get(csrfHeader), ws.CSRF) {
			http.Error(w, "the upload's "+csrfHeader+" header is missing or not this session's CSRF token", http.StatusForbidden)
			return
		}
		res, err = s.importUpload(r.Context(), r.Body, ws.P)
	}
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	b := res.Bundle
	notice := fmt.Sprintf("bundle %s imported: %d members from %q, signed by %s, created %s", b.ID, b.Members, b.Source, b.Signer, b.Created.UTC().Format("2006-01-02 15:04 UTC"))
	if res.Status != "imported" {
		notice = fmt.Sprintf("bundle %s was imported before: nothing changed", b.ID)
	}
	back(w, r, "/data", notice)
}

// errCSRF says bundleForm has answered 403 already.
var errCSRF = errors.New("csrf refused")

func (s *Server) multipartBundle(w http.ResponseWriter, r *http.Request, ws webSession) (DataImport, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return DataImport{}, uploadError{http.StatusBadRequest, apiError{Code: "upload_failed", Message: "reading the upload: " + err.Error()}}
	}
	checked := false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return DataImport{}, uploadError{http.StatusBadRequest, apiError{Code: "upload_failed", Message: "reading the upload: " + err.Error()}}
		}
		switch part.FormName() {
		case csrfField:
			tok, _ := io.ReadAll(io.LimitReader(part, 256))
			checked = sameSecret(strings.TrimSpace(string(tok)), ws.CSRF)
		case "bundle":
			if !checked {
				http.Error(w, "the form's CSRF token is missing or not this session's (it must come before the file): reload the page and try again", http.StatusForbidden)
				return DataImport{}, errCSRF
			}
			return s.importUpload(r.Context(), part, ws.P)
		}
		part.Close()
	}
	if !checked {
		http.Error(w, "the form's CSRF token is missing or not this session's: reload the page and try again", http.StatusForbidden)
		return DataImport{}, errCSRF
	}
	return DataImport{}, uploadError{http.StatusUnprocessableEntity, apiError{Code: "empty_upload", Field: "bundle", Message: "the form has no file in its field bundle: choose the bundle file to upload"}}
}
