package gitlabtest

import (
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Status is a commit status (GitLab's generic commit status, an external
// CI job).
type Status struct {
	ID          int
	ProjectID   int
	SHA         string
	Ref         string
	Name        string
	State       string // pending, running, success, failed, canceled
	TargetURL   string
	Description string
	Coverage    *float64
	AuthorID    int
	CreatedAt   time.Time
	StartedAt   time.Time // zero until running
	FinishedAt  time.Time // zero until success, failed or canceled
	PipelineID  int       // GitLab keeps external statuses in a pipeline per sha and ref
}

// statusJSON is the shape of a commit status (data/gitlab/api/status.json).
type statusJSON struct {
	ID           int           `json:"id"`
	SHA          string        `json:"sha"`
	Ref          *string       `json:"ref"`
	Status       string        `json:"status"`
	Name         string        `json:"name"`
	TargetURL    *string       `json:"target_url"`
	Description  *string       `json:"description"`
	CreatedAt    string        `json:"created_at"`
	StartedAt    *string       `json:"started_at"`
	FinishedAt   *string       `json:"finished_at"`
	AllowFailure bool          `json:"allow_failure"`
	Coverage     *float64      `json:"coverage"`
	PipelineID   int           `json:"pipeline_id"`
	Author       basicUserJSON `json:"author"`
}

func optString(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

func optTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	v := gitlabTime(t)
	return &v
}

func (s *Server) statusJSON(st *Status) statusJSON {
	return statusJSON{
		ID: st.ID, SHA: st.SHA, Ref: optString(st.Ref), Status: st.State, Name: st.Name,
		TargetURL: optString(st.TargetURL), Description: optString(st.Description),
		CreatedAt: gitlabTime(st.CreatedAt), StartedAt: optTime(st.StartedAt), FinishedAt: optTime(st.FinishedAt),
		Coverage:   st.Coverage,
		PipelineID: st.PipelineID,
		Author:     s.basicUserJSON(s.userByID(st.AuthorID)),
	}
}

// Statuses returns copies of the statuses of a commit of the project,
// oldest first, superseded ones included.
func (s *Server) Statuses(p *Project, sha string) []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Status
	for _, st := range s.statuses {
		if st.ProjectID == p.ID && st.SHA == sha {
			out = append(out, *st)
		}
	}
	return out
}

// transition applies a posted state to a status in the state machine of
// GitLab's CommitStatus, as the statuses API drives it: pending is
// "enqueue", running is "enqueue" (if it can) then "run", success is
// "success", failed is "drop" and canceled is "cancel". A new status starts
// in "created". It returns the new state, or GitLab's error message.
func transition(from, to string) (string, string) {
	can := func(event string) bool {
		switch event {
		case "enqueue":
			return from == "created"
		case "run":
			return from == "pending"
		case "success", "drop", "cancel":
			return from == "created" || from == "pending" || from == "running"
		}
		return false
	}
	fail := func(event string) string {
		return "Cannot transition status via :" + event + " from :" + from + ` (Reason(s): Status cannot transition via "` + event + `")`
	}
	switch to {
	case "pending":
		if !can("enqueue") {
			return "", fail("enqueue")
		}
	case "running":
		if can("enqueue") {
			from = "pending"
		}
		if !can("run") {
			return "", fail("run")
		}
	case "success":
		if !can("success") {
			return "", fail("success")
		}
	case "failed":
		if !can("drop") {
			return "", fail("drop")
		}
	case "canceled":
		if !can("cancel") {
			return "", fail("cancel")
		}
	}
	return to, ""
}

var statusStates = []string{"pending", "running", "success", "failed", "canceled"}

func (s *Server) createStatus(w http.ResponseWriter, r *http.Request) {
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
	if !missing(w, params, "state") {
		return
	}
	state := params["state"]
	if !slices.Contains(statusStates, state) {
		badRequest(w, "state does not have a valid value")
		return
	}
	sha, ok := s.commitSHA(p, r.PathValue("sha"))
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Commit Not Found"})
		return
	}
	name := params["name"]
	if name == "" {
		name = params["context"]
	}
	if name == "" {
		name = "default"
	}
	ref, hasRef := params["ref"]
	if !hasRef {
		ref = s.branchContaining(p, sha)
	}
	var cov *float64
	if v, ok := params["coverage"]; ok {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			badRequest(w, "coverage is invalid")
			return
		}
		cov = &f
	}

	// Only a pending or running status of the same name and ref moves on; a
	// finished one is followed by a new status.
	var st *Status
	for _, old := range s.statuses {
		if old.ProjectID == p.ID && old.SHA == sha && old.Name == name && old.Ref == ref && (old.State == "pending" || old.State == "running") {
			st = old
		}
	}
	from := "created"
	if st != nil {
		from = st.State
	}
	next, msg := transition(from, state)
	if msg != "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": msg})
		return
	}
	now := s.now()
	if st == nil {
		st = &Status{ID: s.id("status"), ProjectID: p.ID, SHA: sha, Ref: ref, Name: name, AuthorID: c.user.ID, CreatedAt: now}
		pk := itoa(p.ID) + " " + sha + " " + ref
		if s.pipelines[pk] == 0 {
			s.pipelines[pk] = s.id("pipeline")
		}
		st.PipelineID = s.pipelines[pk]
		s.statuses = append(s.statuses, st)
	}
	st.State = next
	if v, ok := params["target_url"]; ok {
		st.TargetURL = v
	}
	if v, ok := params["description"]; ok {
		st.Description = v
	}
	if cov != nil {
		st.Coverage = cov
	}
	if next == "running" && st.StartedAt.IsZero() {
		st.StartedAt = now
	}
	if next == "success" || next == "failed" || next == "canceled" {
		st.FinishedAt = now
	}
	writeJSON(w, http.StatusCreated, s.statusJSON(st))
}

// listStatuses answers GET /projects/:id/repository/commits/:sha/statuses:
// the latest status of each name and ref unless all=true, filtered by ref
// and name, newest first.
func (s *Server) listStatuses(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, p, ok := s.readableProject(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	_, all, ok := boolParam(w, q, "all")
	if !ok {
		return
	}
	sha, ok := s.commitSHA(p, r.PathValue("sha"))
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Commit Not Found"})
		return
	}
	type key struct{ name, ref string }
	latest := map[key]int{}
	for _, st := range s.statuses {
		if st.ProjectID == p.ID && st.SHA == sha {
			latest[key{st.Name, st.Ref}] = st.ID
		}
	}
	var rows []*Status
	for _, st := range s.statuses {
		switch {
		case st.ProjectID != p.ID || st.SHA != sha:
		case !all && latest[key{st.Name, st.Ref}] != st.ID:
		case q.Get("ref") != "" && st.Ref != q.Get("ref"):
		case q.Get("name") != "" && st.Name != q.Get("name"):
		default:
			rows = append(rows, st)
		}
	}
	slices.Reverse(rows)
	page, ok := paginate(s, w, r, rows)
	if !ok {
		return
	}
	out := make([]statusJSON, 0, len(page))
	for _, st := range page {
		out = append(out, s.statusJSON(st))
	}
	writeJSON(w, http.StatusOK, out)
}
