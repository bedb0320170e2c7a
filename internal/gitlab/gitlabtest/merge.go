package gitlabtest

import (
	"net/http"
	"strings"
)

// acceptMergeRequest answers PUT /projects/:id/merge_requests/:iid/merge:
// the source branch is merged into the target in the real repository
// (a merge commit, as GitLab's default merge method makes), the merge
// request becomes merged, and GitLab's Merge Request Hook "merge" and the
// target's Push Hook fire. 405 for a merge request that is not open, 406
// when the branches conflict; Developers may merge into unprotected
// branches, Maintainers into the protected default branch.
func (s *Server) acceptMergeRequest(w http.ResponseWriter, r *http.Request) {
	s.pushMu.Lock()
	defer s.pushMu.Unlock()
	s.mu.Lock()
	c, p, ok := s.writableProject(w, r, Developer)
	if !ok {
		s.mu.Unlock()
		return
	}
	mr, ok := s.mergeRequest(w, r, p)
	if !ok {
		s.mu.Unlock()
		return
	}
	user := *c.user
	level := access(c.user, p)
	s.mu.Unlock()
	if mr.State != MROpened {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"message": "405 Method Not Allowed"})
		return
	}
	if mr.TargetBranch == p.DefaultBranch && !p.DefaultBranchUnprotected && level < Maintainer {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "401 Unauthorized"})
		return
	}
	dir := "--git-dir=" + s.repoPath(p)
	before := s.refSnapshot(p)
	target, source := before["refs/heads/"+mr.TargetBranch], before["refs/heads/"+mr.SourceBranch]
	tree, err := s.git(nil, dir, "merge-tree", "--write-tree", target, source)
	if err != nil {
		writeJSON(w, http.StatusNotAcceptable, map[string]string{"message": "Branch cannot be merged"})
		return
	}
	tree = strings.Fields(tree)[0]
	msg := "Merge branch '" + mr.SourceBranch + "' into '" + mr.TargetBranch + "'\n\n" + mr.Title + "\n\nSee merge request " + p.Path + "!" + itoa(mr.IID) + "\n"
	cmd := []string{dir, "-c", "user.name=" + user.Name, "-c", "user.email=" + user.Email, "commit-tree", tree, "-p", target, "-p", source, "-m", msg}
	sha, err := s.git(nil, cmd...)
	if err == nil {
		_, err = s.git(nil, dir, "update-ref", "refs/heads/"+mr.TargetBranch, sha, target)
	}
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "500 Internal Server Error"})
		return
	}
	s.mu.Lock()
	now := s.now()
	mr.State, mr.UpdatedAt = MRMerged, now
	changes := map[string]any{"state": map[string]any{"previous": MROpened, "current": MRMerged}}
	s.dispatchLocked(s.mrHookJobs(p, mr, &user, "merge", "", changes))
	out := s.mrDetailJSON(p, mr, &user)
	s.mu.Unlock()
	s.afterPush(p, &user, diffRefs(before, s.refSnapshot(p)))
	writeJSON(w, http.StatusOK, out)
}
