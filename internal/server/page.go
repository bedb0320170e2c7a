package server

import (
	"embed"
	"html/template"
	"net/http"
	"strconv"
)

//go:embed page/*.html
var pageFS embed.FS

// pages are parsed at start-up: a broken template fails at once.
var pages = template.Must(template.ParseFS(pageFS, "page/*.html"))

// scanPage is where merge request notes and commit statuses link until
// the web UI exists: it says how to see the scan through the API. It
// needs no token and shows no data, not even whether the scan exists.
func (s *Server) scanPage(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		http.Error(w, "not a scan id", http.StatusNotFound)
		return
	}
	base := s.c.PublicURL
	if base == "" {
		base = "http://" + r.Host
	}
	n := strconv.FormatInt(id, 10)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.Header().Set("Referrer-Policy", "no-referrer")
	if err := pages.ExecuteTemplate(w, "scan.html", map[string]string{
		"ID":          n,
		"ScanAPI":     base + "/api/v1/scans/" + n,
		"FindingsAPI": base + "/api/v1/findings",
		"OpenAPI":     base + "/api/v1/openapi.json",
	}); err != nil {
		s.log.ErrorContext(r.Context(), "scan page", "error", err.Error())
	}
}
