package gitlabtest

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SystemHook is an instance-wide hook (POST /hooks, admins only). It
// receives the system events the stand-in knows — project_create, sent by
// AddProject — with X-Gitlab-Event: System Hook.
type SystemHook struct {
	ID                     int
	URL                    string
	Token                  string
	Name                   string
	Description            string
	PushEvents             bool
	TagPushEvents          bool
	MergeRequestsEvents    bool
	RepositoryUpdateEvents bool
	EnableSSLVerification  bool
	CreatedAt              time.Time
	UUID                   string
}

// systemHookJSON is the shape of a system hook in GET/POST /hooks; the
// secret token is never returned.
type systemHookJSON struct {
	ID                     int     `json:"id"`
	URL                    string  `json:"url"`
	Name                   string  `json:"name"`
	Description            string  `json:"description"`
	CreatedAt              string  `json:"created_at"`
	PushEvents             bool    `json:"push_events"`
	TagPushEvents          bool    `json:"tag_push_events"`
	MergeRequestsEvents    bool    `json:"merge_requests_events"`
	RepositoryUpdateEvents bool    `json:"repository_update_events"`
	EnableSSLVerification  bool    `json:"enable_ssl_verification"`
	AlertStatus            string  `json:"alert_status"`
	DisabledUntil          *string `json:"disabled_until"`
	URLVariables           []any   `json:"url_variables"`
}

func toSystemHookJSON(h *SystemHook) systemHookJSON {
	return systemHookJSON{
		ID: h.ID, URL: h.URL, Name: h.Name, Description: h.Description, CreatedAt: gitlabTime(h.CreatedAt),
		PushEvents: h.PushEvents, TagPushEvents: h.TagPushEvents, MergeRequestsEvents: h.MergeRequestsEvents,
		RepositoryUpdateEvents: h.RepositoryUpdateEvents, EnableSSLVerification: h.EnableSSLVerification,
		AlertStatus: "executable", URLVariables: []any{},
	}
}

// SystemHooks returns the system hooks, secret tokens included, oldest
// first.
func (s *Server) SystemHooks() []SystemHook {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []SystemHook
	for _, h := range s.systemHooks {
		out = append(out, *h)
	}
	slices.SortFunc(out, func(a, b SystemHook) int { return a.ID - b.ID })
	return out
}

// admin authenticates an instance administrator. Called with s.mu held.
func (s *Server) admin(w http.ResponseWriter, r *http.Request) bool {
	c, ok := s.authenticate(w, r, false, apiScopes(r)...)
	if !ok {
		return false
	}
	if !c.user.Admin {
		writeJSON(w, http.StatusForbidden, errForbidden)
		return false
	}
	return true
}

func (s *Server) listSystemHooks(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.admin(w, r) {
		return
	}
	out := []systemHookJSON{}
	for _, id := range s.systemHookIDs() {
		out = append(out, toSystemHookJSON(s.systemHooks[id]))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) systemHookIDs() []int {
	var ids []int
	for id := range s.systemHooks {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (s *Server) createSystemHook(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.admin(w, r) {
		return
	}
	params, err := bodyParams(r)
	if err != nil {
		badRequest(w, "body is invalid")
		return
	}
	if !missing(w, params, "url") {
		return
	}
	h := &SystemHook{
		URL: params["url"], Token: params["token"], Name: params["name"], Description: params["description"],
		RepositoryUpdateEvents: true, EnableSSLVerification: true, CreatedAt: s.now(), UUID: newUUID(),
	}
	if u, err := url.Parse(h.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		badRequest(w, "url is blocked: Only allowed schemes are http, https")
		return
	}
	for name, field := range map[string]*bool{
		"push_events":              &h.PushEvents,
		"tag_push_events":          &h.TagPushEvents,
		"merge_requests_events":    &h.MergeRequestsEvents,
		"repository_update_events": &h.RepositoryUpdateEvents,
		"enable_ssl_verification":  &h.EnableSSLVerification,
	} {
		if v, ok := params[name]; ok {
			b, err := strconv.ParseBool(strings.ToLower(v))
			if err != nil {
				badRequest(w, name+" is invalid")
				return
			}
			*field = b
		}
	}
	h.ID = s.id("hook")
	s.systemHooks[h.ID] = h
	writeJSON(w, http.StatusCreated, toSystemHookJSON(h))
}

func (s *Server) deleteSystemHook(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.admin(w, r) {
		return
	}
	id, err := strconv.Atoi(r.PathValue("hook_id"))
	if err != nil {
		badRequest(w, "hook_id is invalid")
		return
	}
	if s.systemHooks[id] == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Not found"})
		return
	}
	delete(s.systemHooks, id)
	w.WriteHeader(http.StatusNoContent)
}

// projectCreateJSON is the System Hook payload of project_create, as
// GitLab documents it.
type projectCreateJSON struct {
	CreatedAt          string      `json:"created_at"`
	UpdatedAt          string      `json:"updated_at"`
	EventName          string      `json:"event_name"`
	Name               string      `json:"name"`
	OwnerEmail         string      `json:"owner_email"`
	OwnerName          string      `json:"owner_name"`
	Owners             []ownerJSON `json:"owners"`
	Path               string      `json:"path"`
	PathWithNamespace  string      `json:"path_with_namespace"`
	ProjectID          int         `json:"project_id"`
	ProjectNamespaceID int         `json:"project_namespace_id"`
	ProjectVisibility  Visibility  `json:"project_visibility"`
}

type ownerJSON struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// projectCreatePayload describes a new project; its owner is its group
// (GitLab's owner_email is empty for groups). Called with s.mu held.
func (s *Server) projectCreatePayload(p *Project) projectCreateJSON {
	ns := s.namespaceJSON(p)
	out := projectCreateJSON{
		CreatedAt: gitlabTime(p.CreatedAt), UpdatedAt: gitlabTime(p.CreatedAt),
		EventName: "project_create", Name: nameOf(p), OwnerName: ns.Name, Owners: []ownerJSON{},
		Path: nameOf(p), PathWithNamespace: p.Path, ProjectID: p.ID, ProjectNamespaceID: ns.ID,
		ProjectVisibility: p.Visibility,
	}
	var ids []int
	for id, lvl := range p.Members {
		if lvl == Owner {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		u := s.userByID(id)
		out.Owners = append(out.Owners, ownerJSON{Name: u.Name, Email: u.Email})
	}
	return out
}

// systemEventLocked delivers a system event to every system hook. Called
// with s.mu held.
func (s *Server) systemEventLocked(payload any) {
	var targets []hookTarget
	for _, id := range s.systemHookIDs() {
		h := s.systemHooks[id]
		targets = append(targets, hookTarget{id: h.ID, system: true, url: h.URL, token: h.Token, uuid: h.UUID, verify: h.EnableSSLVerification})
	}
	if len(targets) > 0 {
		s.dispatchLocked(s.jobs(targets, "System Hook", payload))
	}
}
