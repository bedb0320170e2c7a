package gitlabtest

import (
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Note is a comment on a merge request.
type Note struct {
	ID        int
	ProjectID int
	MRIID     int // the merge request's iid
	MRID      int // the merge request's global id
	Body      string
	AuthorID  int
	System    bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// noteJSON is the shape of a merge request note
// (data/gitlab/api/merge_note.json).
type noteJSON struct {
	ID           int            `json:"id"`
	Type         *string        `json:"type"`
	Body         string         `json:"body"`
	Attachment   *string        `json:"attachment"`
	Author       noteAuthorJSON `json:"author"`
	CreatedAt    string         `json:"created_at"`
	UpdatedAt    string         `json:"updated_at"`
	System       bool           `json:"system"`
	NoteableID   int            `json:"noteable_id"`
	NoteableType string         `json:"noteable_type"`
	ProjectID    int            `json:"project_id"`
	Resolvable   bool           `json:"resolvable"`
	Confidential bool           `json:"confidential"`
	Internal     bool           `json:"internal"`
	NoteableIID  int            `json:"noteable_iid"`
}

type noteAuthorJSON struct {
	ID        int    `json:"id"`
	Username  string `json:"username"`
	Email     string `json:"email"`
	Name      string `json:"name"`
	State     string `json:"state"`
	Locked    bool   `json:"locked"`
	AvatarURL string `json:"avatar_url"`
	WebURL    string `json:"web_url"`
	CreatedAt string `json:"created_at"`
}

func (s *Server) noteJSON(n *Note) noteJSON {
	u := s.userByID(n.AuthorID)
	return noteJSON{
		ID:   n.ID,
		Body: n.Body,
		Author: noteAuthorJSON{
			ID: u.ID, Username: u.Username, Email: u.Email, Name: u.Name, State: "active",
			AvatarURL: s.avatarURL(u), WebURL: s.URL + "/" + u.Username,
			CreatedAt: gitlabTime(s.now().Add(-24 * time.Hour)),
		},
		CreatedAt:    gitlabTime(n.CreatedAt),
		UpdatedAt:    gitlabTime(n.UpdatedAt),
		System:       n.System,
		NoteableID:   n.MRID,
		NoteableType: "MergeRequest",
		ProjectID:    n.ProjectID,
		NoteableIID:  n.MRIID,
	}
}

// mrNotes are the notes of a merge request, oldest first. Called with s.mu
// held.
func (s *Server) mrNotes(mr *MergeRequest) []*Note {
	var out []*Note
	for _, n := range s.notes {
		if n.MRID == mr.ID {
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(a, b *Note) int { return a.ID - b.ID })
	return out
}

func (s *Server) userNotesCount(mr *MergeRequest) int {
	n := 0
	for _, note := range s.mrNotes(mr) {
		if !note.System {
			n++
		}
	}
	return n
}

// Notes returns copies of the notes of the project's merge request iid,
// oldest first.
func (s *Server) Notes(p *Project, iid int) []Note {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Note
	for _, mr := range s.projectMRs(p.ID) {
		if mr.IID == iid {
			for _, n := range s.mrNotes(mr) {
				out = append(out, *n)
			}
		}
	}
	return out
}

// noteProject authenticates a notes request: Reporter and up, the api
// scope to write (read_api also reads). Called with s.mu held.
func (s *Server) noteProject(w http.ResponseWriter, r *http.Request) (caller, *Project, *MergeRequest, bool) {
	c, ok := s.authenticate(w, r, false, apiScopes(r)...)
	if !ok {
		return caller{}, nil, nil, false
	}
	p, ok := s.project(w, r, c)
	if !ok {
		return caller{}, nil, nil, false
	}
	if access(c.user, p) < Reporter && (p.Visibility == Private || r.Method != http.MethodGet) {
		writeJSON(w, http.StatusForbidden, errForbidden)
		return caller{}, nil, nil, false
	}
	mr, ok := s.mergeRequest(w, r, p)
	if !ok {
		return caller{}, nil, nil, false
	}
	return c, p, mr, true
}

func (s *Server) listNotes(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _, mr, ok := s.noteProject(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	orderBy, sort := q.Get("order_by"), q.Get("sort")
	if orderBy == "" {
		orderBy = "created_at"
	}
	if sort == "" {
		sort = "desc"
	}
	if orderBy != "created_at" && orderBy != "updated_at" {
		badRequest(w, "order_by does not have a valid value")
		return
	}
	if sort != "asc" && sort != "desc" {
		badRequest(w, "sort does not have a valid value")
		return
	}
	rows := s.mrNotes(mr)
	slices.SortStableFunc(rows, func(a, b *Note) int {
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
	out := make([]noteJSON, 0, len(page))
	for _, n := range page {
		out = append(out, s.noteJSON(n))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createNote(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, p, mr, ok := s.noteProject(w, r)
	if !ok {
		return
	}
	params, err := bodyParams(r)
	if err != nil {
		badRequest(w, "body is invalid")
		return
	}
	if !missing(w, params, "body") {
		return
	}
	now := s.now()
	n := &Note{
		ID: s.id("note"), ProjectID: p.ID, MRIID: mr.IID, MRID: mr.ID,
		Body: params["body"], AuthorID: c.user.ID, CreatedAt: now, UpdatedAt: now,
	}
	s.notes[n.ID] = n
	writeJSON(w, http.StatusCreated, s.noteJSON(n))
}

func (s *Server) updateNote(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, _, mr, ok := s.noteProject(w, r)
	if !ok {
		return
	}
	id, err := strconv.Atoi(r.PathValue("note_id"))
	if err != nil {
		badRequest(w, "note_id is invalid")
		return
	}
	n := s.notes[id]
	if n == nil || n.MRID != mr.ID {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Note Not Found"})
		return
	}
	if n.AuthorID != c.user.ID && !c.user.Admin {
		writeJSON(w, http.StatusForbidden, errForbidden)
		return
	}
	params, err := bodyParams(r)
	if err != nil {
		badRequest(w, "body is invalid")
		return
	}
	if !missing(w, params, "body") {
		return
	}
	if params["body"] != n.Body {
		n.Body = params["body"]
		n.UpdatedAt = s.now()
	}
	writeJSON(w, http.StatusOK, s.noteJSON(n))
}
