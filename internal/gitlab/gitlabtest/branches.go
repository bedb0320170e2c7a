package gitlabtest

import (
	"net/http"
)

// branchJSON is the shape of a branch (data/gitlab/api/branch.json).
type branchJSON struct {
	Name               string           `json:"name"`
	Merged             bool             `json:"merged"`
	Protected          bool             `json:"protected"`
	Default            bool             `json:"default"`
	DevelopersCanPush  bool             `json:"developers_can_push"`
	DevelopersCanMerge bool             `json:"developers_can_merge"`
	CanPush            bool             `json:"can_push"`
	WebURL             string           `json:"web_url"`
	Commit             branchCommitJSON `json:"commit"`
}

type branchCommitJSON struct {
	ID            string   `json:"id"`
	ShortID       string   `json:"short_id"`
	Title         string   `json:"title"`
	Message       string   `json:"message"`
	AuthorName    string   `json:"author_name"`
	AuthorEmail   string   `json:"author_email"`
	AuthoredDate  string   `json:"authored_date"`
	CommittedDate string   `json:"committed_date"`
	ParentIDs     []string `json:"parent_ids"`
}

// getBranch answers GET /projects/:id/repository/branches/:branch: 404
// "404 Branch Not Found" for a branch that does not exist (every branch
// of an empty repository), 403 when the caller may not read the code (below Reporter on a private project).
func (s *Server) getBranch(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.authenticate(w, r, true, apiScopes(r)...)
	if !ok {
		return
	}
	p, ok := s.project(w, r, c)
	if !ok {
		return
	}
	if !canReadCode(c.user, p) {
		writeJSON(w, http.StatusForbidden, errForbidden)
		return
	}
	name := r.PathValue("branch")
	sha, found := s.branchHead(p, name)
	if !found {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Branch Not Found"})
		return
	}
	info, err := s.commitInfo(p, sha)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "500 Internal Server Error"})
		return
	}
	protected := name == p.DefaultBranch && !p.DefaultBranchUnprotected
	writeJSON(w, http.StatusOK, branchJSON{
		Name: name, Protected: protected, Default: name == p.DefaultBranch,
		CanPush: access(c.user, p) >= Maintainer || (!protected && access(c.user, p) >= Developer),
		WebURL:  s.URL + "/" + p.Path + "/-/tree/" + name,
		Commit: branchCommitJSON{
			ID: info.ID, ShortID: info.ID[:8], Title: info.Title, Message: info.Message,
			AuthorName: info.Author.Name, AuthorEmail: info.Author.Email,
			AuthoredDate: info.Timestamp, CommittedDate: info.Timestamp, ParentIDs: []string{},
		},
	})
}
