package gitlabtest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// commitAction is one element of the commits API's actions.
type commitAction struct {
	Action       string `json:"action"`
	FilePath     string `json:"file_path"`
	PreviousPath string `json:"previous_path"`
	Content      string `json:"content"`
	Encoding     string `json:"encoding"`
	LastCommitID string `json:"last_commit_id"`
}

// commitJSON is the shape of a commit (data/gitlab/api/commit.json).
type commitJSON struct {
	ID             string   `json:"id"`
	ShortID        string   `json:"short_id"`
	Title          string   `json:"title"`
	Message        string   `json:"message"`
	AuthorName     string   `json:"author_name"`
	AuthorEmail    string   `json:"author_email"`
	CommitterName  string   `json:"committer_name"`
	CommitterEmail string   `json:"committer_email"`
	CreatedAt      string   `json:"created_at"`
	AuthoredDate   string   `json:"authored_date"`
	CommittedDate  string   `json:"committed_date"`
	ParentIDs      []string `json:"parent_ids"`
	WebURL         string   `json:"web_url"`
	// LastPipeline and Status are null: the stand-in runs no pipelines.
	LastPipeline *struct{}      `json:"last_pipeline"`
	Status       *string        `json:"status"`
	Stats        commitStatJSON `json:"stats"`
}

type commitStatJSON struct {
	Additions int `json:"additions"`
	Deletions int `json:"deletions"`
	Total     int `json:"total"`
}

// createCommit answers POST /projects/:id/repository/commits: one commit
// of create, update and delete actions on branch, which is created from
// start_branch or start_sha when it does not exist, written to the
// project's real bare repository, with the Push Hook a push fires.
// Developers may write other branches, Maintainers the protected default
// branch; the errors are GitLab's (400 for a missing start, an existing
// branch with another start, a file that exists or does not, a stale
// last_commit_id).
func (s *Server) createCommit(w http.ResponseWriter, r *http.Request) {
	s.pushMu.Lock()
	defer s.pushMu.Unlock()
	s.mu.Lock()
	c, p, ok := s.writableProject(w, r, Developer)
	if !ok {
		s.mu.Unlock()
		return
	}
	user := *c.user
	level := access(c.user, p)
	err := s.ensureRepo(p)
	s.mu.Unlock()
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "500 Internal Server Error"})
		return
	}
	var body struct {
		Branch        string         `json:"branch"`
		StartBranch   string         `json:"start_branch"`
		StartSHA      string         `json:"start_sha"`
		CommitMessage string         `json:"commit_message"`
		Actions       []commitAction `json:"actions"`
		Force         bool           `json:"force"`
		AuthorEmail   string         `json:"author_email"`
		AuthorName    string         `json:"author_name"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		badRequest(w, "body is invalid")
		return
	}
	var miss []string
	if body.Branch == "" {
		miss = append(miss, "branch is missing")
	}
	if body.CommitMessage == "" {
		miss = append(miss, "commit_message is missing")
	}
	if len(body.Actions) == 0 {
		miss = append(miss, "actions is missing")
	}
	if len(miss) > 0 {
		badRequest(w, strings.Join(miss, ", "))
		return
	}
	ref := "refs/heads/" + body.Branch
	if _, err := s.git(nil, "check-ref-format", ref); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Branch name is invalid"})
		return
	}
	if body.Branch == p.DefaultBranch && !p.DefaultBranchUnprotected && level < Maintainer {
		writeJSON(w, http.StatusForbidden, map[string]string{"message": "You are not allowed to push into this branch"})
		return
	}
	before := s.refSnapshot(p)
	parent := before[ref]
	start := ""
	switch {
	case body.StartBranch != "":
		if start = before["refs/heads/"+body.StartBranch]; start == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Invalid start branch"})
			return
		}
	case body.StartSHA != "":
		sha, ok := s.commitSHA(p, body.StartSHA)
		if !ok {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Invalid start sha"})
			return
		}
		start = sha
	}
	switch {
	case parent == "" && start == "":
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "You can only create or edit files when you are on a branch"})
		return
	case parent == "":
		parent = start
	case start != "" && body.StartBranch != body.Branch && !body.Force:
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "A branch called '" + body.Branch + "' already exists. Switch to that branch in order to make changes"})
		return
	case body.Force && start != "":
		parent = start
	}
	dir := "--git-dir=" + s.repoPath(p)
	exists := func(path string) bool {
		_, err := s.git(nil, dir, "cat-file", "-e", parent+":"+path)
		return err == nil
	}
	files := map[string]string{}
	var remove []string
	for _, a := range body.Actions {
		path := a.FilePath
		if path == "" || strings.ContainsAny(path, "\n\x00") || strings.HasPrefix(path, "/") || strings.HasPrefix(path, `"`) || strings.Contains("/"+path+"/", "/../") {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Your changes could not be committed, because the file path is invalid"})
			return
		}
		content := a.Content
		if a.Encoding == "base64" {
			b, err := base64.StdEncoding.DecodeString(content)
			if err != nil {
				badRequest(w, "actions[content] is invalid")
				return
			}
			content = string(b)
		} else if a.Encoding != "" && a.Encoding != "text" {
			badRequest(w, "actions[encoding] does not have a valid value")
			return
		}
		if a.LastCommitID != "" {
			last, _ := s.git(nil, dir, "log", "-1", "--format=%H", parent, "--", path)
			if last != a.LastCommitID {
				writeJSON(w, http.StatusBadRequest, map[string]string{"message": "The file has changed since you started editing it: " + path})
				return
			}
		}
		switch a.Action {
		case "create":
			if exists(path) {
				writeJSON(w, http.StatusBadRequest, map[string]string{"message": "A file with this name already exists"})
				return
			}
			files[path] = content
		case "update":
			if !exists(path) {
				writeJSON(w, http.StatusBadRequest, map[string]string{"message": "A file with this name doesn't exist"})
				return
			}
			files[path] = content
		case "delete":
			if !exists(path) {
				writeJSON(w, http.StatusBadRequest, map[string]string{"message": "A file with this name doesn't exist"})
				return
			}
			remove = append(remove, path)
		default:
			badRequest(w, "actions[action] does not have a valid value")
			return
		}
	}
	author := user
	if err := s.fastImport(p, ref, parent, author, body.CommitMessage, files, remove, before[ref] != "" && body.Force); err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "500 Internal Server Error"})
		return
	}
	after := s.refSnapshot(p)
	s.afterPush(p, &author, diffRefs(before, after))
	info, err := s.commitInfo(p, after[ref])
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "500 Internal Server Error"})
		return
	}
	var stats commitStatJSON
	if out, err := s.git(nil, dir, "diff", "--numstat", parent, info.ID); err == nil {
		for _, line := range strings.Split(out, "\n") {
			var a, d int
			if _, err := fmt.Sscanf(line, "%d\t%d", &a, &d); err == nil {
				stats.Additions += a
				stats.Deletions += d
			}
		}
	}
	stats.Total = stats.Additions + stats.Deletions
	writeJSON(w, http.StatusCreated, commitJSON{
		Stats: stats,
		ID:    info.ID, ShortID: info.ID[:11], Title: info.Title, Message: info.Message,
		AuthorName: info.Author.Name, AuthorEmail: info.Author.Email,
		CommitterName: info.Author.Name, CommitterEmail: info.Author.Email,
		CreatedAt: info.Timestamp, AuthoredDate: info.Timestamp, CommittedDate: info.Timestamp,
		ParentIDs: []string{parent}, WebURL: s.URL + "/" + p.Path + "/-/commit/" + info.ID,
	})
}
