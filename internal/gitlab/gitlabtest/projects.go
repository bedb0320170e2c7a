package gitlabtest

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Limits of GitLab's pagination.
const (
	defaultPerPage   = 20
	maxPerPage       = 100
	countLimit       = 10000 // above it, X-Total, X-Total-Pages and rel="last" are omitted
	offsetPagesLimit = 50000 // offset paging of /projects stops here
)

// projectJSON is the shape of GET /projects/:id and of each element of
// GET /projects (data/gitlab/api/repo.json, repos.json).
type projectJSON struct {
	ID                                        int                 `json:"id"`
	Description                               string              `json:"description"`
	DefaultBranch                             string              `json:"default_branch"`
	EmptyRepo                                 bool                `json:"empty_repo"`
	TagList                                   []string            `json:"tag_list"`
	Topics                                    []string            `json:"topics"`
	SSHURLToRepo                              string              `json:"ssh_url_to_repo"`
	HTTPURLToRepo                             string              `json:"http_url_to_repo"`
	WebURL                                    string              `json:"web_url"`
	Name                                      string              `json:"name"`
	NameWithNamespace                         string              `json:"name_with_namespace"`
	Path                                      string              `json:"path"`
	PathWithNamespace                         string              `json:"path_with_namespace"`
	AvatarURL                                 *string             `json:"avatar_url"`
	StarCount                                 int                 `json:"star_count"`
	ForksCount                                int                 `json:"forks_count"`
	CreatedAt                                 string              `json:"created_at"`
	LastActivityAt                            string              `json:"last_activity_at"`
	Links                                     projectLinksJSON    `json:"_links"`
	Archived                                  bool                `json:"archived"`
	Visibility                                Visibility          `json:"visibility"`
	ResolveOutdatedDiffDiscussions            *bool               `json:"resolve_outdated_diff_discussions"`
	ContainerRegistryEnabled                  *bool               `json:"container_registry_enabled"`
	IssuesEnabled                             bool                `json:"issues_enabled"`
	MergeRequestsEnabled                      bool                `json:"merge_requests_enabled"`
	WikiEnabled                               bool                `json:"wiki_enabled"`
	JobsEnabled                               bool                `json:"jobs_enabled"`
	SnippetsEnabled                           bool                `json:"snippets_enabled"`
	SharedRunnersEnabled                      bool                `json:"shared_runners_enabled"`
	LFSEnabled                                bool                `json:"lfs_enabled"`
	CreatorID                                 int                 `json:"creator_id"`
	Namespace                                 namespaceJSON       `json:"namespace"`
	ImportStatus                              string              `json:"import_status"`
	OpenIssuesCount                           int                 `json:"open_issues_count"`
	PublicJobs                                bool                `json:"public_jobs"`
	CIConfigPath                              *string             `json:"ci_config_path"`
	SharedWithGroups                          []any               `json:"shared_with_groups"`
	OnlyAllowMergeIfPipelineSucceeds          bool                `json:"only_allow_merge_if_pipeline_succeeds"`
	RequestAccessEnabled                      bool                `json:"request_access_enabled"`
	OnlyAllowMergeIfAllDiscussionsAreResolved *bool               `json:"only_allow_merge_if_all_discussions_are_resolved"`
	PrintingMergeRequestLinkEnabled           bool                `json:"printing_merge_request_link_enabled"`
	ApprovalsBeforeMerge                      int                 `json:"approvals_before_merge"`
	Permissions                               *projectPermissions `json:"permissions,omitempty"`
}

// simpleProjectJSON is a project with simple=true: no permissions, no
// settings.
type simpleProjectJSON struct {
	ID                int           `json:"id"`
	Description       string        `json:"description"`
	Name              string        `json:"name"`
	NameWithNamespace string        `json:"name_with_namespace"`
	Path              string        `json:"path"`
	PathWithNamespace string        `json:"path_with_namespace"`
	CreatedAt         string        `json:"created_at"`
	DefaultBranch     string        `json:"default_branch"`
	TagList           []string      `json:"tag_list"`
	Topics            []string      `json:"topics"`
	SSHURLToRepo      string        `json:"ssh_url_to_repo"`
	HTTPURLToRepo     string        `json:"http_url_to_repo"`
	WebURL            string        `json:"web_url"`
	AvatarURL         *string       `json:"avatar_url"`
	StarCount         int           `json:"star_count"`
	ForksCount        int           `json:"forks_count"`
	LastActivityAt    string        `json:"last_activity_at"`
	Namespace         namespaceJSON `json:"namespace"`
}

type projectLinksJSON struct {
	Self          string `json:"self"`
	Issues        string `json:"issues"`
	MergeRequests string `json:"merge_requests"`
	RepoBranches  string `json:"repo_branches"`
	Labels        string `json:"labels"`
	Events        string `json:"events"`
	Members       string `json:"members"`
}

type namespaceJSON struct {
	ID       int    `json:"id"`
	Name     string `json:"name"`
	Path     string `json:"path"`
	Kind     string `json:"kind"`
	FullPath string `json:"full_path"`
	ParentID *int   `json:"parent_id"`
}

type projectPermissions struct {
	ProjectAccess *accessJSON `json:"project_access"`
	GroupAccess   *accessJSON `json:"group_access"`
}

type accessJSON struct {
	AccessLevel       AccessLevel `json:"access_level"`
	NotificationLevel int         `json:"notification_level"`
}

// namespaceJSON describes the project's group; subgroups have their parent's
// id. Called with s.mu held.
func (s *Server) namespaceJSON(p *Project) namespaceJSON {
	full := namespaceOf(p.Path)
	name := full[strings.LastIndex(full, "/")+1:]
	ns := namespaceJSON{ID: s.namespaces[full], Name: name, Path: name, Kind: "group", FullPath: full}
	if i := strings.LastIndex(full, "/"); i >= 0 {
		parent := full[:i]
		if _, ok := s.namespaces[parent]; !ok {
			s.namespaces[parent] = s.id("namespace")
		}
		id := s.namespaces[parent]
		ns.ParentID = &id
	}
	return ns
}

func nameOf(p *Project) string { return p.Path[strings.LastIndex(p.Path, "/")+1:] }

// projectJSON renders the project as user sees it. Called with s.mu held.
func (s *Server) projectJSON(p *Project, u *User) projectJSON {
	api := s.URL + "/api/v4/projects/" + itoa(p.ID)
	host := strings.TrimPrefix(s.URL, "http://")
	if i := strings.LastIndex(host, ":"); i >= 0 {
		host = host[:i]
	}
	ns := s.namespaceJSON(p)
	out := projectJSON{
		ID:                              p.ID,
		Description:                     p.Description,
		DefaultBranch:                   p.DefaultBranch,
		EmptyRepo:                       !s.filled[p.ID],
		TagList:                         []string{},
		Topics:                          []string{},
		SSHURLToRepo:                    "git@" + host + ":" + p.Path + ".git",
		HTTPURLToRepo:                   s.URL + "/" + p.Path + ".git",
		WebURL:                          s.URL + "/" + p.Path,
		Name:                            nameOf(p),
		NameWithNamespace:               strings.ReplaceAll(p.Path, "/", " / "),
		Path:                            nameOf(p),
		PathWithNamespace:               p.Path,
		CreatedAt:                       gitlabTime(p.CreatedAt),
		LastActivityAt:                  gitlabTime(p.CreatedAt),
		Links:                           projectLinksJSON{Self: api, Issues: api + "/issues", MergeRequests: api + "/merge_requests", RepoBranches: api + "/repository/branches", Labels: api + "/labels", Events: api + "/events", Members: api + "/members"},
		Archived:                        p.Archived,
		Visibility:                      p.Visibility,
		IssuesEnabled:                   true,
		MergeRequestsEnabled:            true,
		WikiEnabled:                     true,
		JobsEnabled:                     true,
		SnippetsEnabled:                 true,
		SharedRunnersEnabled:            true,
		LFSEnabled:                      true,
		CreatorID:                       s.creatorOf(p),
		Namespace:                       ns,
		ImportStatus:                    "none",
		PublicJobs:                      true,
		SharedWithGroups:                []any{},
		RequestAccessEnabled:            true,
		PrintingMergeRequestLinkEnabled: true,
	}
	if u != nil {
		out.Permissions = &projectPermissions{}
		if lvl := p.Members[u.ID]; lvl > NoAccess {
			out.Permissions.ProjectAccess = &accessJSON{AccessLevel: lvl, NotificationLevel: 3}
		}
	}
	return out
}

// creatorOf is the project's first Owner or Maintainer, or 1.
func (s *Server) creatorOf(p *Project) int {
	best := 0
	for id, lvl := range p.Members {
		if lvl >= Maintainer && (best == 0 || id < best) {
			best = id
		}
	}
	if best == 0 {
		return 1
	}
	return best
}

func (s *Server) simpleProjectJSON(p *Project) simpleProjectJSON {
	full := s.projectJSON(p, nil)
	return simpleProjectJSON{
		ID: full.ID, Description: full.Description, Name: full.Name,
		NameWithNamespace: full.NameWithNamespace, Path: full.Path,
		PathWithNamespace: full.PathWithNamespace, CreatedAt: full.CreatedAt,
		DefaultBranch: full.DefaultBranch, TagList: full.TagList, Topics: full.Topics,
		SSHURLToRepo: full.SSHURLToRepo, HTTPURLToRepo: full.HTTPURLToRepo,
		WebURL: full.WebURL, AvatarURL: full.AvatarURL, StarCount: full.StarCount,
		ForksCount: full.ForksCount, LastActivityAt: full.LastActivityAt,
		Namespace: full.Namespace,
	}
}

// badRequest answers 400 with GitLab's body for an invalid parameter.
func badRequest(w http.ResponseWriter, msg string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": msg})
}

// intParam reads an integer query parameter; ok is false (and the request
// answered) when it is present but not an integer.
func intParam(w http.ResponseWriter, q url.Values, name string, def int) (int, bool) {
	v := q.Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		badRequest(w, name+" is invalid")
		return 0, false
	}
	return n, true
}

func boolParam(w http.ResponseWriter, q url.Values, name string) (set, value, ok bool) {
	switch strings.ToLower(q.Get(name)) {
	case "":
		return false, false, true
	case "true", "1", "yes", "t":
		return true, true, true
	case "false", "0", "no", "f":
		return true, false, true
	}
	badRequest(w, name+" is invalid")
	return false, false, false
}

func (s *Server) listProjects(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.authenticate(w, r, true, apiScopes(r)...)
	if !ok {
		return
	}
	q := r.URL.Query()
	_, membership, ok := boolParam(w, q, "membership")
	if !ok {
		return
	}
	archivedSet, archived, ok := boolParam(w, q, "archived")
	if !ok {
		return
	}
	_, simple, ok := boolParam(w, q, "simple")
	if !ok {
		return
	}
	minLevel, ok := intParam(w, q, "min_access_level", 0)
	if !ok {
		return
	}
	if minLevel != 0 && !slices.Contains([]AccessLevel{Guest, Reporter, Developer, Maintainer, Owner}, AccessLevel(minLevel)) {
		badRequest(w, "min_access_level does not have a valid value")
		return
	}
	perPage, ok := intParam(w, q, "per_page", defaultPerPage)
	if !ok {
		return
	}
	if perPage < 1 {
		perPage = defaultPerPage
	}
	perPage = min(perPage, maxPerPage)
	orderBy, sort := q.Get("order_by"), q.Get("sort")
	if orderBy == "" {
		orderBy = "created_at"
	}
	if sort == "" {
		sort = "desc"
	}
	if !slices.Contains([]string{"id", "created_at", "name", "path", "updated_at", "last_activity_at"}, orderBy) {
		badRequest(w, "order_by does not have a valid value")
		return
	}
	if sort != "asc" && sort != "desc" {
		badRequest(w, "sort does not have a valid value")
		return
	}

	var rows []*Project
	for _, p := range s.projects {
		if !visible(c.user, p) {
			continue
		}
		if (membership || minLevel > 0) && c.user == nil {
			continue
		}
		if membership && p.Members[c.user.ID] == NoAccess {
			continue
		}
		if minLevel > 0 && access(c.user, p) < AccessLevel(minLevel) {
			continue
		}
		if archivedSet && p.Archived != archived {
			continue
		}
		rows = append(rows, p)
	}
	slices.SortFunc(rows, func(a, b *Project) int {
		var d int
		switch orderBy {
		case "name", "path":
			d = strings.Compare(nameOf(a), nameOf(b))
		case "created_at", "updated_at", "last_activity_at":
			d = a.CreatedAt.Compare(b.CreatedAt)
		}
		if d == 0 {
			d = a.ID - b.ID
		}
		if sort == "desc" {
			d = -d
		}
		return d
	})

	var page []*Project
	if q.Get("pagination") == "keyset" {
		if orderBy != "id" {
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"message": "405 Method Not Allowed - Keyset pagination is not yet available for this type of request"})
			return
		}
		page, ok = s.keysetPage(w, r, rows, perPage, sort)
	} else {
		page, ok = s.offsetPage(w, r, rows, perPage)
	}
	if !ok {
		return
	}
	if simple {
		out := make([]simpleProjectJSON, 0, len(page))
		for _, p := range page {
			out = append(out, s.simpleProjectJSON(p))
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	out := make([]projectJSON, 0, len(page))
	for _, p := range page {
		out = append(out, s.projectJSON(p, c.user))
	}
	writeJSON(w, http.StatusOK, out)
}

// pageLink is the request's URL with the given query parameters replaced.
func (s *Server) pageLink(r *http.Request, set map[string]string) string {
	q := r.URL.Query()
	for k, v := range set {
		q.Set(k, v)
	}
	return s.URL + r.URL.EscapedPath() + "?" + q.Encode()
}

// offsetPage cuts one page of projects and sets GitLab's offset pagination
// headers; offset paging of projects stops at offsetPagesLimit.
func (s *Server) offsetPage(w http.ResponseWriter, r *http.Request, rows []*Project, perPage int) ([]*Project, bool) {
	pageNo, ok := intParam(w, r.URL.Query(), "page", 1)
	if !ok {
		return nil, false
	}
	if max(pageNo, 1)*perPage > offsetPagesLimit {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "Offset pagination has a maximum allowed offset of " + itoa(offsetPagesLimit) + " for requests that return objects of type Project. Remaining records can be retrieved using keyset pagination."})
		return nil, false
	}
	return paginate(s, w, r, rows)
}

// paginate cuts one page of rows, after the request's page and per_page,
// and sets GitLab's offset pagination headers.
func paginate[T any](s *Server, w http.ResponseWriter, r *http.Request, rows []T) ([]T, bool) {
	q := r.URL.Query()
	perPage, ok := intParam(w, q, "per_page", defaultPerPage)
	if !ok {
		return nil, false
	}
	if perPage < 1 {
		perPage = defaultPerPage
	}
	perPage = min(perPage, maxPerPage)
	pageNo, ok := intParam(w, q, "page", 1)
	if !ok {
		return nil, false
	}
	pageNo = max(pageNo, 1)
	total := len(rows)
	totalPages := max((total+perPage-1)/perPage, 1)
	start := min((pageNo-1)*perPage, total)
	end := min(start+perPage, total)
	outOfRange := pageNo > totalPages
	counted := total <= countLimit

	h := w.Header()
	h.Set("X-Page", itoa(pageNo))
	h.Set("X-Per-Page", itoa(perPage))
	next, prev := "", ""
	if end < total {
		next = itoa(pageNo + 1)
	}
	if pageNo > 1 && !outOfRange {
		prev = itoa(pageNo - 1)
	}
	h.Set("X-Next-Page", next)
	h.Set("X-Prev-Page", prev)
	var links []string
	link := func(page int, rel string) {
		links = append(links, "<"+s.pageLink(r, map[string]string{"page": itoa(page), "per_page": itoa(perPage)})+`>; rel="`+rel+`"`)
	}
	if prev != "" {
		link(pageNo-1, "prev")
	}
	if next != "" {
		link(pageNo+1, "next")
	}
	link(1, "first")
	if counted {
		h.Set("X-Total", itoa(total))
		h.Set("X-Total-Pages", itoa(totalPages))
		link(totalPages, "last")
	}
	h.Set("Link", strings.Join(links, ", "))
	return rows[start:end], true
}

// keysetPage cuts the page after id_after (sort asc) or before id_before
// (sort desc) and sets the Link header to the next page, if any.
func (s *Server) keysetPage(w http.ResponseWriter, r *http.Request, rows []*Project, perPage int, sort string) ([]*Project, bool) {
	q := r.URL.Query()
	param := "id_after"
	if sort == "desc" {
		param = "id_before"
	}
	cursor, ok := intParam(w, q, param, 0)
	if !ok {
		return nil, false
	}
	start := 0
	if q.Get(param) != "" {
		start = len(rows)
		for i, p := range rows {
			if (sort == "asc" && p.ID > cursor) || (sort == "desc" && p.ID < cursor) {
				start = i
				break
			}
		}
	}
	end := min(start+perPage, len(rows))
	page := rows[start:end]
	if end < len(rows) {
		w.Header().Set("Link", "<"+s.pageLink(r, map[string]string{param: itoa(page[len(page)-1].ID), "per_page": itoa(perPage)})+`>; rel="next"`)
	}
	return page, true
}
