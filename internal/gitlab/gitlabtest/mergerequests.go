package gitlabtest

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Merge request states, as the API spells them.
const (
	MROpened = "opened"
	MRClosed = "closed"
	MRMerged = "merged"
)

// MergeRequest is a merge request as the stand-in stores it. SHA is the head
// of the source branch, kept current by pushes to it.
type MergeRequest struct {
	ID                 int // global
	IID                int // per project
	ProjectID          int
	Title              string
	Description        string
	SourceBranch       string
	TargetBranch       string
	State              string // MROpened, MRClosed or MRMerged
	AuthorID           int
	SHA                string
	RemoveSourceBranch bool
	CreatedAt          time.Time
	UpdatedAt          time.Time
	ClosedAt           time.Time // zero unless closed
	ClosedByID         int
	Labels             []string
}

// basicUserJSON is GitLab's UserBasic entity (the author of a merge request
// or a status).
type basicUserJSON struct {
	ID        int    `json:"id"`
	Username  string `json:"username"`
	Name      string `json:"name"`
	State     string `json:"state"`
	Locked    bool   `json:"locked"`
	AvatarURL string `json:"avatar_url"`
	WebURL    string `json:"web_url"`
}

// userByID is the user, or GitLab's first administrator for an id the test
// never added (creatorOf answers 1 for projects without maintainers).
// Called with s.mu held.
func (s *Server) userByID(id int) *User {
	if u := s.users[id]; u != nil {
		return u
	}
	return &User{ID: id, Username: "root", Name: "Administrator", Email: "admin@example.com", Admin: true}
}

func (s *Server) avatarURL(u *User) string {
	return s.URL + "/uploads/-/system/user/avatar/" + itoa(u.ID) + "/avatar.png"
}

func (s *Server) basicUserJSON(u *User) basicUserJSON {
	return basicUserJSON{ID: u.ID, Username: u.Username, Name: u.Name, State: "active", AvatarURL: s.avatarURL(u), WebURL: s.URL + "/" + u.Username}
}

// mrJSON is the shape of each element of GET /projects/:id/merge_requests
// (data/gitlab/api/merges.json).
type mrJSON struct {
	ID                          int             `json:"id"`
	IID                         int             `json:"iid"`
	ProjectID                   int             `json:"project_id"`
	Title                       string          `json:"title"`
	Description                 string          `json:"description"`
	State                       string          `json:"state"`
	CreatedAt                   string          `json:"created_at"`
	UpdatedAt                   string          `json:"updated_at"`
	MergedBy                    *basicUserJSON  `json:"merged_by"`
	MergeUser                   *basicUserJSON  `json:"merge_user"`
	MergedAt                    *string         `json:"merged_at"`
	ClosedBy                    *basicUserJSON  `json:"closed_by"`
	ClosedAt                    *string         `json:"closed_at"`
	TargetBranch                string          `json:"target_branch"`
	SourceBranch                string          `json:"source_branch"`
	UserNotesCount              int             `json:"user_notes_count"`
	Upvotes                     int             `json:"upvotes"`
	Downvotes                   int             `json:"downvotes"`
	Author                      basicUserJSON   `json:"author"`
	Assignees                   []basicUserJSON `json:"assignees"`
	Assignee                    *basicUserJSON  `json:"assignee"`
	Reviewers                   []basicUserJSON `json:"reviewers"`
	SourceProjectID             int             `json:"source_project_id"`
	TargetProjectID             int             `json:"target_project_id"`
	Labels                      []string        `json:"labels"`
	Draft                       bool            `json:"draft"`
	WorkInProgress              bool            `json:"work_in_progress"`
	Milestone                   *struct{}       `json:"milestone"`
	MergeWhenPipelineSucceeds   bool            `json:"merge_when_pipeline_succeeds"`
	MergeStatus                 string          `json:"merge_status"`
	DetailedMergeStatus         string          `json:"detailed_merge_status"`
	SHA                         string          `json:"sha"`
	MergeCommitSHA              *string         `json:"merge_commit_sha"`
	SquashCommitSHA             *string         `json:"squash_commit_sha"`
	DiscussionLocked            *bool           `json:"discussion_locked"`
	ShouldRemoveSourceBranch    *bool           `json:"should_remove_source_branch"`
	ForceRemoveSourceBranch     bool            `json:"force_remove_source_branch"`
	ApprovalsBeforeMerge        *int            `json:"approvals_before_merge"`
	Reference                   string          `json:"reference"`
	References                  referencesJSON  `json:"references"`
	WebURL                      string          `json:"web_url"`
	TimeStats                   timeStatsJSON   `json:"time_stats"`
	Squash                      bool            `json:"squash"`
	HasConflicts                bool            `json:"has_conflicts"`
	BlockingDiscussionsResolved bool            `json:"blocking_discussions_resolved"`
}

// mrDetailJSON is the shape of GET /projects/:id/merge_requests/:iid
// (data/gitlab/api/merge.json): the list entity and a few more fields.
type mrDetailJSON struct {
	mrJSON
	Subscribed   bool       `json:"subscribed"`
	ChangesCount *string    `json:"changes_count"`
	User         mrUserJSON `json:"user"`
}

type mrUserJSON struct {
	CanMerge bool `json:"can_merge"`
}

type referencesJSON struct {
	Short    string `json:"short"`
	Relative string `json:"relative"`
	Full     string `json:"full"`
}

type timeStatsJSON struct {
	TimeEstimate        int     `json:"time_estimate"`
	TotalTimeSpent      int     `json:"total_time_spent"`
	HumanTimeEstimate   *string `json:"human_time_estimate"`
	HumanTotalTimeSpent *string `json:"human_total_time_spent"`
}

// draftTitle reports whether a title marks a draft, as GitLab reads it.
func draftTitle(title string) bool {
	t := strings.ToLower(strings.TrimSpace(title))
	return strings.HasPrefix(t, "draft:") || strings.HasPrefix(t, "[draft]") || strings.HasPrefix(t, "(draft)") || strings.HasPrefix(t, "draft ")
}

func (s *Server) mrWebURL(p *Project, mr *MergeRequest) string {
	return s.URL + "/" + p.Path + "/-/merge_requests/" + itoa(mr.IID)
}

// mrJSON renders a merge request. Called with s.mu held.
func (s *Server) mrJSON(p *Project, mr *MergeRequest) mrJSON {
	draft := draftTitle(mr.Title)
	out := mrJSON{
		ID: mr.ID, IID: mr.IID, ProjectID: mr.ProjectID,
		Title: mr.Title, Description: mr.Description, State: mr.State,
		CreatedAt: gitlabTime(mr.CreatedAt), UpdatedAt: gitlabTime(mr.UpdatedAt),
		TargetBranch: mr.TargetBranch, SourceBranch: mr.SourceBranch,
		UserNotesCount:  s.userNotesCount(mr),
		Author:          s.basicUserJSON(s.userByID(mr.AuthorID)),
		Assignees:       []basicUserJSON{},
		Reviewers:       []basicUserJSON{},
		SourceProjectID: p.ID, TargetProjectID: p.ID,
		Labels:                      append([]string{}, mr.Labels...),
		Draft:                       draft,
		WorkInProgress:              draft,
		MergeStatus:                 "can_be_merged",
		DetailedMergeStatus:         "mergeable",
		SHA:                         mr.SHA,
		ForceRemoveSourceBranch:     mr.RemoveSourceBranch,
		Reference:                   "!" + itoa(mr.IID),
		References:                  referencesJSON{Short: "!" + itoa(mr.IID), Relative: "!" + itoa(mr.IID), Full: p.Path + "!" + itoa(mr.IID)},
		WebURL:                      s.mrWebURL(p, mr),
		BlockingDiscussionsResolved: true,
	}
	if draft {
		out.DetailedMergeStatus = "draft_status"
	}
	if mr.State == MRClosed && !mr.ClosedAt.IsZero() {
		at := gitlabTime(mr.ClosedAt)
		by := s.basicUserJSON(s.userByID(mr.ClosedByID))
		out.ClosedAt, out.ClosedBy = &at, &by
	}
	return out
}

// projectMRs are the project's merge requests, oldest first. Called with
// s.mu held.
func (s *Server) projectMRs(projectID int) []*MergeRequest {
	var out []*MergeRequest
	for _, mr := range s.mrs {
		if mr.ProjectID == projectID {
			out = append(out, mr)
		}
	}
	slices.SortFunc(out, func(a, b *MergeRequest) int { return a.ID - b.ID })
	return out
}

// MergeRequests returns copies of the project's merge requests, oldest
// first.
func (s *Server) MergeRequests(p *Project) []MergeRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []MergeRequest
	for _, mr := range s.projectMRs(p.ID) {
		out = append(out, *mr)
	}
	return out
}

// OpenMR opens a merge request from source to target as the project's
// creator, as if through the API, and fires a Merge Request Hook with
// action "open". Both branches must exist. It returns a copy.
func (s *Server) OpenMR(p *Project, source, target, title string) *MergeRequest {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	p = s.projects[p.ID]
	if p == nil {
		s.t.Fatalf("gitlabtest: OpenMR: unknown project")
	}
	author := s.userByID(s.creatorOf(p))
	mr, status, body := s.createMR(p, author, source, target, title, "", false)
	if status != http.StatusCreated {
		s.t.Fatalf("gitlabtest: OpenMR %s %s→%s: %d %v", p.Path, source, target, status, body)
	}
	c := *mr
	return &c
}

// createMR validates and creates a merge request and fires its "open"
// hook; on failure it returns GitLab's status and body. Called with s.mu
// held.
func (s *Server) createMR(p *Project, author *User, source, target, title, description string, removeSource bool) (*MergeRequest, int, any) {
	if source == target {
		return nil, http.StatusUnprocessableEntity, map[string][]string{"message": {"You can't use same project/branch for source and target"}}
	}
	sha, srcOK := s.branchHead(p, source)
	_, tgtOK := s.branchHead(p, target)
	if !srcOK || !tgtOK {
		errs := map[string][]string{}
		if !srcOK {
			errs["source_branch"] = []string{"does not exist"}
		}
		if !tgtOK {
			errs["target_branch"] = []string{"does not exist"}
		}
		return nil, http.StatusBadRequest, map[string]any{"message": errs}
	}
	for _, mr := range s.projectMRs(p.ID) {
		if mr.State == MROpened && mr.SourceBranch == source && mr.TargetBranch == target {
			return nil, http.StatusConflict, map[string][]string{"message": {"Another open merge request already exists for this source branch: !" + itoa(mr.IID)}}
		}
	}
	iid := 1
	for _, mr := range s.projectMRs(p.ID) {
		iid = max(iid, mr.IID+1)
	}
	now := s.now()
	mr := &MergeRequest{
		ID: s.id("merge_request"), IID: iid, ProjectID: p.ID,
		Title: title, Description: description,
		SourceBranch: source, TargetBranch: target, State: MROpened,
		AuthorID: author.ID, SHA: sha, RemoveSourceBranch: removeSource,
		CreatedAt: now, UpdatedAt: now,
	}
	s.mrs[mr.ID] = mr
	s.dispatchLocked(s.mrHookJobs(p, mr, author, "open", "", map[string]any{}))
	return mr, http.StatusCreated, nil
}

// readableProject authenticates a read of a project's merge requests,
// notes or statuses (anonymous on public projects) and answers 403 to
// callers who cannot read its code. Called with s.mu held.
func (s *Server) readableProject(w http.ResponseWriter, r *http.Request) (caller, *Project, bool) {
	c, ok := s.authenticate(w, r, true, apiScopes(r)...)
	if !ok {
		return caller{}, nil, false
	}
	p, ok := s.project(w, r, c)
	if !ok {
		return caller{}, nil, false
	}
	if !canReadCode(c.user, p) {
		writeJSON(w, http.StatusForbidden, errForbidden)
		return caller{}, nil, false
	}
	return c, p, true
}

// writableProject authenticates a write that needs level on the project,
// with the api scope. Called with s.mu held.
func (s *Server) writableProject(w http.ResponseWriter, r *http.Request, level AccessLevel) (caller, *Project, bool) {
	c, ok := s.authenticate(w, r, false, ScopeAPI)
	if !ok {
		return caller{}, nil, false
	}
	p, ok := s.project(w, r, c)
	if !ok {
		return caller{}, nil, false
	}
	if access(c.user, p) < level {
		writeJSON(w, http.StatusForbidden, errForbidden)
		return caller{}, nil, false
	}
	return c, p, true
}

// missing answers Grape's 400 for absent required parameters; it returns
// false when it has answered.
func missing(w http.ResponseWriter, params map[string]string, names ...string) bool {
	var absent []string
	for _, n := range names {
		if _, ok := params[n]; !ok {
			absent = append(absent, n+" is missing")
		}
	}
	if len(absent) > 0 {
		badRequest(w, strings.Join(absent, ", "))
		return false
	}
	for _, n := range names {
		if strings.TrimSpace(params[n]) == "" {
			badRequest(w, n+" is empty")
			return false
		}
	}
	return true
}

func (s *Server) createMergeRequest(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, p, ok := s.writableProject(w, r, Developer)
	if !ok {
		return
	}
	params, err := bodyParams(r)
	if err != nil {
		badRequest(w, "body is invalid")
		return
	}
	if !missing(w, params, "source_branch", "target_branch", "title") {
		return
	}
	remove, _ := strconv.ParseBool(params["remove_source_branch"])
	mr, status, body := s.createMR(p, c.user, params["source_branch"], params["target_branch"], params["title"], params["description"], remove)
	if mr == nil {
		writeJSON(w, status, body)
		return
	}
	if v, ok := params["labels"]; ok {
		mr.Labels = splitLabels(v)
	}
	writeJSON(w, http.StatusCreated, s.mrDetailJSON(p, mr, c.user))
}

func (s *Server) mrDetailJSON(p *Project, mr *MergeRequest, u *User) mrDetailJSON {
	return mrDetailJSON{mrJSON: s.mrJSON(p, mr), User: mrUserJSON{CanMerge: access(u, p) >= Developer}}
}

func (s *Server) listMergeRequests(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, p, ok := s.readableProject(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	state := q.Get("state")
	if state != "" && !slices.Contains([]string{"opened", "closed", "locked", "merged", "all"}, state) {
		badRequest(w, "state does not have a valid value")
		return
	}
	orderBy, sort := cmp.Or(q.Get("order_by"), "created_at"), cmp.Or(q.Get("sort"), "desc")
	if orderBy != "created_at" && orderBy != "updated_at" {
		badRequest(w, "order_by does not have a valid value")
		return
	}
	if sort != "asc" && sort != "desc" {
		badRequest(w, "sort does not have a valid value")
		return
	}
	var rows []*MergeRequest
	for _, mr := range s.projectMRs(p.ID) {
		if state != "" && state != "all" && mr.State != state {
			continue
		}
		if v := q.Get("source_branch"); v != "" && mr.SourceBranch != v {
			continue
		}
		if v := q.Get("target_branch"); v != "" && mr.TargetBranch != v {
			continue
		}
		rows = append(rows, mr)
	}
	slices.SortStableFunc(rows, func(a, b *MergeRequest) int {
		d := a.CreatedAt.Compare(b.CreatedAt)
		if orderBy == "updated_at" {
			d = a.UpdatedAt.Compare(b.UpdatedAt)
		}
		if d == 0 {
			d = a.ID - b.ID
		}
		if sort == "desc" {
			d = -d
		}
		return d
	})
	page, ok := paginate(s, w, r, rows)
	if !ok {
		return
	}
	out := make([]mrJSON, 0, len(page))
	for _, mr := range page {
		out = append(out, s.mrJSON(p, mr))
	}
	writeJSON(w, http.StatusOK, out)
}

// mergeRequest finds the {iid} merge request of the project, answering 404
// when there is none. Called with s.mu held.
func (s *Server) mergeRequest(w http.ResponseWriter, r *http.Request, p *Project) (*MergeRequest, bool) {
	iid, err := strconv.Atoi(r.PathValue("iid"))
	if err != nil {
		badRequest(w, "merge_request_iid is invalid")
		return nil, false
	}
	for _, mr := range s.projectMRs(p.ID) {
		if mr.IID == iid {
			return mr, true
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Not found"})
	return nil, false
}

func (s *Server) getMergeRequest(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, p, ok := s.readableProject(w, r)
	if !ok {
		return
	}
	mr, ok := s.mergeRequest(w, r, p)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, s.mrDetailJSON(p, mr, c.user))
}

// updateMergeRequest edits a merge request: title, description,
// target_branch, and state_event close or reopen. Developers and the author
// may.
func (s *Server) updateMergeRequest(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, p, ok := s.writableProject(w, r, Guest)
	if !ok {
		return
	}
	mr, ok := s.mergeRequest(w, r, p)
	if !ok {
		return
	}
	if access(c.user, p) < Developer && mr.AuthorID != c.user.ID {
		writeJSON(w, http.StatusForbidden, errForbidden)
		return
	}
	params, err := bodyParams(r)
	if err != nil {
		badRequest(w, "body is invalid")
		return
	}
	known := []string{"title", "description", "target_branch", "state_event", "remove_source_branch", "labels"}
	if !slices.ContainsFunc(known, func(k string) bool { _, ok := params[k]; return ok }) {
		badRequest(w, strings.Join(known, ", ")+" are missing, at least one parameter must be provided")
		return
	}
	event, hasEvent := params["state_event"]
	if hasEvent && event != "close" && event != "reopen" {
		badRequest(w, "state_event does not have a valid value")
		return
	}
	if t, ok := params["target_branch"]; ok && t != mr.TargetBranch {
		if _, exists := s.branchHead(p, t); !exists {
			writeJSON(w, http.StatusBadRequest, map[string]any{"message": map[string][]string{"target_branch": {"does not exist"}}})
			return
		}
	}
	now := s.now()
	changes := map[string]any{}
	change := func(name string, field *string) {
		if v, ok := params[name]; ok && v != *field {
			changes[name] = map[string]any{"previous": *field, "current": v}
			*field = v
		}
	}
	change("title", &mr.Title)
	change("description", &mr.Description)
	change("target_branch", &mr.TargetBranch)
	if v, ok := params["remove_source_branch"]; ok {
		mr.RemoveSourceBranch, _ = strconv.ParseBool(v)
	}
	if v, ok := params["labels"]; ok {
		mr.Labels = splitLabels(v)
	}
	action := "update"
	switch {
	case event == "close" && mr.State == MROpened:
		changes["state"] = map[string]any{"previous": mr.State, "current": MRClosed}
		mr.State, mr.ClosedAt, mr.ClosedByID = MRClosed, now, c.user.ID
		action = "close"
	case event == "reopen" && mr.State == MRClosed:
		changes["state"] = map[string]any{"previous": mr.State, "current": MROpened}
		mr.State, mr.ClosedAt, mr.ClosedByID = MROpened, time.Time{}, 0
		action = "reopen"
	}
	if len(changes) > 0 {
		changes["updated_at"] = map[string]any{"previous": hookTime(mr.UpdatedAt), "current": hookTime(now)}
		mr.UpdatedAt = now
		s.dispatchLocked(s.mrHookJobs(p, mr, c.user, action, "", changes))
	}
	writeJSON(w, http.StatusOK, s.mrDetailJSON(p, mr, c.user))
}

// splitLabels reads GitLab's comma-separated labels parameter.
func splitLabels(v string) []string {
	out := []string{}
	for _, l := range strings.Split(v, ",") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
