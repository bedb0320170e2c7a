package gitlabtest

import (
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// hookJSON is the shape of a project hook (data/gitlab/api/hook.json); the
// secret token is never returned.
type hookJSON struct {
	ID                       int    `json:"id"`
	URL                      string `json:"url"`
	ProjectID                int    `json:"project_id"`
	PushEvents               bool   `json:"push_events"`
	PushEventsBranchFilter   string `json:"push_events_branch_filter"`
	IssuesEvents             bool   `json:"issues_events"`
	ConfidentialIssuesEvents bool   `json:"confidential_issues_events"`
	MergeRequestsEvents      bool   `json:"merge_requests_events"`
	TagPushEvents            bool   `json:"tag_push_events"`
	NoteEvents               bool   `json:"note_events"`
	ConfidentialNoteEvents   bool   `json:"confidential_note_events"`
	JobEvents                bool   `json:"job_events"`
	PipelineEvents           bool   `json:"pipeline_events"`
	WikiPageEvents           bool   `json:"wiki_page_events"`
	DeploymentEvents         bool   `json:"deployment_events"`
	ReleasesEvents           bool   `json:"releases_events"`
	EnableSSLVerification    bool   `json:"enable_ssl_verification"`
	CreatedAt                string `json:"created_at"`
}

func toHookJSON(h *Hook) hookJSON {
	return hookJSON{
		ID:                     h.ID,
		URL:                    h.URL,
		ProjectID:              h.ProjectID,
		PushEvents:             h.PushEvents,
		PushEventsBranchFilter: h.PushEventsBranchFilter,
		MergeRequestsEvents:    h.MergeRequestsEvents,
		TagPushEvents:          h.TagPushEvents,
		NoteEvents:             h.NoteEvents,
		EnableSSLVerification:  h.EnableSSLVerification,
		CreatedAt:              gitlabTime(h.CreatedAt),
	}
}

// maintainerProject authenticates the request and finds its project,
// answering 404 when the caller cannot see it and 403 below Maintainer.
// Called with s.mu held.
func (s *Server) maintainerProject(w http.ResponseWriter, r *http.Request) (*Project, bool) {
	c, ok := s.authenticate(w, r, false, apiScopes(r)...)
	if !ok {
		return nil, false
	}
	p, ok := s.project(w, r, c)
	if !ok {
		return nil, false
	}
	if access(c.user, p) < Maintainer {
		writeJSON(w, http.StatusForbidden, errForbidden)
		return nil, false
	}
	return p, true
}

func (s *Server) listHooks(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.maintainerProject(w, r)
	if !ok {
		return
	}
	out := []hookJSON{}
	for _, h := range s.hooksOf(p.ID) {
		out = append(out, toHookJSON(&h))
	}
	writeJSON(w, http.StatusOK, out)
}

// bodyParams reads a request's attributes from a JSON or form body, or from the
// query string, as GitLab's API accepts them.
func bodyParams(r *http.Request) (map[string]string, error) {
	params := map[string]string{}
	for k, v := range r.URL.Query() {
		params[k] = v[0]
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			return nil, err
		}
		for k, v := range body {
			switch v := v.(type) {
			case string:
				params[k] = v
			case bool:
				params[k] = strconv.FormatBool(v)
			case float64:
				params[k] = strconv.FormatFloat(v, 'f', -1, 64)
			case []any:
				// An array parameter (labels: ["a", "b"]) as GitLab also
				// takes it: comma-separated.
				var parts []string
				for _, e := range v {
					if s, ok := e.(string); ok {
						parts = append(parts, s)
					}
				}
				params[k] = strings.Join(parts, ",")
			}
		}
	case "application/x-www-form-urlencoded", "multipart/form-data":
		if err := r.ParseForm(); err != nil {
			return nil, err
		}
		for k, v := range r.PostForm {
			params[k] = v[0]
		}
	}
	return params, nil
}

func (s *Server) createHook(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.maintainerProject(w, r)
	if !ok {
		return
	}
	params, err := bodyParams(r)
	if err != nil {
		badRequest(w, "body is invalid")
		return
	}
	h := &Hook{
		ProjectID:              p.ID,
		URL:                    params["url"],
		Token:                  params["token"],
		PushEvents:             true,
		EnableSSLVerification:  true,
		PushEventsBranchFilter: params["push_events_branch_filter"],
		CreatedAt:              s.now(),
	}
	if h.URL == "" {
		badRequest(w, "url is missing")
		return
	}
	if u, err := url.Parse(h.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		badRequest(w, "url is blocked: Only allowed schemes are http, https")
		return
	}
	if err := setHookEvents(params, h); err != "" {
		badRequest(w, err)
		return
	}
	h.ID = s.id("hook")
	h.UUID = newUUID()
	s.hooks[h.ID] = h
	writeJSON(w, http.StatusCreated, toHookJSON(h))
}

// projectHook finds the {hook_id} hook of the project, answering 404 when
// there is none. Called with s.mu held.
func (s *Server) projectHook(w http.ResponseWriter, r *http.Request, p *Project) (*Hook, bool) {
	id, err := strconv.Atoi(r.PathValue("hook_id"))
	if err != nil {
		badRequest(w, "hook_id is invalid")
		return nil, false
	}
	h := s.hooks[id]
	if h == nil || h.ProjectID != p.ID {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Not found"})
		return nil, false
	}
	return h, true
}

func (s *Server) getHook(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.maintainerProject(w, r)
	if !ok {
		return
	}
	h, ok := s.projectHook(w, r, p)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, toHookJSON(h))
}

// updateHook edits a hook: the attributes present change, the others stay;
// a token given replaces the secret (which is never returned).
func (s *Server) updateHook(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.maintainerProject(w, r)
	if !ok {
		return
	}
	h, ok := s.projectHook(w, r, p)
	if !ok {
		return
	}
	params, err := bodyParams(r)
	if err != nil {
		badRequest(w, "body is invalid")
		return
	}
	next := *h
	if v, ok := params["url"]; ok {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			badRequest(w, "url is blocked: Only allowed schemes are http, https")
			return
		}
		next.URL = v
	}
	if v, ok := params["token"]; ok {
		next.Token = v
	}
	if v, ok := params["push_events_branch_filter"]; ok {
		next.PushEventsBranchFilter = v
	}
	if err := setHookEvents(params, &next); err != "" {
		badRequest(w, err)
		return
	}
	*h = next
	writeJSON(w, http.StatusOK, toHookJSON(h))
}

// setHookEvents sets the hook's event flags present in params; it returns
// the error message of an invalid one.
func setHookEvents(params map[string]string, h *Hook) string {
	for name, field := range map[string]*bool{
		"push_events":             &h.PushEvents,
		"merge_requests_events":   &h.MergeRequestsEvents,
		"tag_push_events":         &h.TagPushEvents,
		"note_events":             &h.NoteEvents,
		"enable_ssl_verification": &h.EnableSSLVerification,
	} {
		v, present := params[name]
		if !present {
			continue
		}
		b, err := strconv.ParseBool(strings.ToLower(v))
		if err != nil {
			return name + " is invalid"
		}
		*field = b
	}
	return ""
}

func (s *Server) deleteHook(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.maintainerProject(w, r)
	if !ok {
		return
	}
	id, err := strconv.Atoi(r.PathValue("hook_id"))
	if err != nil {
		badRequest(w, "hook_id is invalid")
		return
	}
	h := s.hooks[id]
	if h == nil || h.ProjectID != p.ID {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Not found"})
		return
	}
	delete(s.hooks, id)
	w.WriteHeader(http.StatusNoContent)
}
