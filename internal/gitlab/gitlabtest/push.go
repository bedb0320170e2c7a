package gitlabtest

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// zeroSHA is the "before" of a created ref and the "after" of a deleted
// one.
const zeroSHA = "0000000000000000000000000000000000000000"

// pushHooksLimit is GitLab's push_event_hooks_limit: a push that updates
// more branches fires no push hooks.
const pushHooksLimit = 3

// maxPushCommits is how many commits, the newest, a push payload lists.
const maxPushCommits = 20

// branchHead is the commit at the tip of a branch, if the branch exists.
// Called with s.mu held.
func (s *Server) branchHead(p *Project, branch string) (string, bool) {
	if !s.repos[p.ID] || branch == "" || strings.HasPrefix(branch, "-") {
		return "", false
	}
	sha, err := s.git(nil, "--git-dir="+s.repoPath(p), "rev-parse", "--verify", "--quiet", "refs/heads/"+branch+"^{commit}")
	return sha, err == nil && sha != ""
}

// commitSHA resolves a commit id (or ref) of the project to a full commit
// id. Called with s.mu held.
func (s *Server) commitSHA(p *Project, rev string) (string, bool) {
	if !s.repos[p.ID] || rev == "" || strings.HasPrefix(rev, "-") {
		return "", false
	}
	sha, err := s.git(nil, "--git-dir="+s.repoPath(p), "rev-parse", "--verify", "--quiet", rev+"^{commit}")
	return sha, err == nil && sha != ""
}

// branchContaining is the first branch whose history holds sha, as GitLab
// picks the ref of a status posted without one; "" if none.
func (s *Server) branchContaining(p *Project, sha string) string {
	out, err := s.git(nil, "--git-dir="+s.repoPath(p), "for-each-ref", "--contains="+sha, "--format=%(refname:short)", "refs/heads/")
	if err != nil || out == "" {
		return ""
	}
	first, _, _ := strings.Cut(out, "\n")
	return first
}

// refUpdate is one ref that a push changed; before or after is zeroSHA
// when the ref was created or deleted.
type refUpdate struct {
	ref, before, after string
}

// refSnapshot maps every ref of the project's repository to its object.
func (s *Server) refSnapshot(p *Project) map[string]string {
	out, err := s.git(nil, "--git-dir="+s.repoPath(p), "for-each-ref", "--format=%(objectname) %(refname)")
	refs := map[string]string{}
	if err != nil {
		return refs
	}
	for line := range strings.SplitSeq(out, "\n") {
		if sha, ref, ok := strings.Cut(line, " "); ok {
			refs[ref] = sha
		}
	}
	return refs
}

// diffRefs lists the refs that differ between two snapshots, by name.
func diffRefs(before, after map[string]string) []refUpdate {
	var out []refUpdate
	for ref, b := range before {
		if a, ok := after[ref]; !ok {
			out = append(out, refUpdate{ref, b, zeroSHA})
		} else if a != b {
			out = append(out, refUpdate{ref, b, a})
		}
	}
	for ref, a := range after {
		if _, ok := before[ref]; !ok {
			out = append(out, refUpdate{ref, zeroSHA, a})
		}
	}
	slices.SortFunc(out, func(x, y refUpdate) int { return strings.Compare(x.ref, y.ref) })
	return out
}

// commitInfo is what payloads say of a commit.
type commitInfo struct {
	ID        string
	Message   string
	Title     string
	Timestamp string // ISO 8601 with the author's offset
	Author    commitAuthorJSON
	Added     []string
	Modified  []string
	Removed   []string
}

// commitInfo reads a commit of the project and the files it changed from
// its first parent.
func (s *Server) commitInfo(p *Project, sha string) (commitInfo, error) {
	dir := "--git-dir=" + s.repoPath(p)
	out, err := s.git(nil, dir, "show", "-s", "--format=%H%x00%an%x00%ae%x00%aI%x00%s%x00%B", sha)
	if err != nil {
		return commitInfo{}, err
	}
	f := strings.SplitN(out, "\x00", 6)
	if len(f) != 6 {
		return commitInfo{}, fmt.Errorf("gitlabtest: unexpected git show output for %s", sha)
	}
	c := commitInfo{
		ID: f[0], Author: commitAuthorJSON{Name: f[1], Email: f[2]}, Timestamp: f[3],
		Title: f[4], Message: strings.TrimRight(f[5], "\n") + "\n",
		Added: []string{}, Modified: []string{}, Removed: []string{},
	}
	changes, err := s.git(nil, dir, "diff-tree", "--root", "--no-commit-id", "-r", "--name-status", "-z", sha)
	if err != nil {
		return commitInfo{}, err
	}
	parts := strings.Split(strings.Trim(changes, "\x00"), "\x00")
	for i := 0; i+1 < len(parts); i += 2 {
		switch parts[i] {
		case "A":
			c.Added = append(c.Added, parts[i+1])
		case "D":
			c.Removed = append(c.Removed, parts[i+1])
		default:
			c.Modified = append(c.Modified, parts[i+1])
		}
	}
	return c, nil
}

// pushedCommits are the newest maxPushCommits commits a ref update brought,
// oldest first, and how many it brought in all: those after before, or for
// a new branch those not on the default branch.
func (s *Server) pushedCommits(p *Project, u refUpdate) ([]commitInfo, int, error) {
	if u.after == zeroSHA {
		return []commitInfo{}, 0, nil
	}
	dir := "--git-dir=" + s.repoPath(p)
	args := []string{u.after}
	switch {
	case u.before != zeroSHA:
		args = append(args, "^"+u.before)
	case u.ref != "refs/heads/"+p.DefaultBranch:
		if def, err := s.git(nil, dir, "rev-parse", "--verify", "--quiet", "refs/heads/"+p.DefaultBranch); err == nil && def != "" {
			args = append(args, "^"+def)
		}
	}
	count, err := s.git(nil, append([]string{dir, "rev-list", "--count"}, args...)...)
	if err != nil {
		return nil, 0, err
	}
	total := 0
	fmt.Sscan(count, &total)
	list, err := s.git(nil, append([]string{dir, "rev-list", fmt.Sprintf("--max-count=%d", maxPushCommits)}, args...)...)
	if err != nil {
		return nil, 0, err
	}
	out := []commitInfo{}
	for sha := range strings.FieldsSeq(list) {
		c, err := s.commitInfo(p, sha)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, c)
	}
	slices.Reverse(out)
	return out, total, nil
}

// pushEvent is a ref update with what its payload needs from git.
type pushEvent struct {
	refUpdate
	checkout string // the commit the ref points to; "" on delete
	commits  []commitInfo
	total    int
}

// afterPush fires what GitLab's post-receive fires for a push by user:
// a Push Hook per branch (none when more than pushHooksLimit branches
// changed) and a Tag Push Hook per tag, then a Merge Request Hook
// "update" for each open merge request whose source branch moved. Called
// with s.pushMu held and s.mu not held.
func (s *Server) afterPush(p *Project, user *User, updates []refUpdate) {
	if len(updates) == 0 {
		return
	}
	s.markFilled(p)
	branches := 0
	for _, u := range updates {
		if strings.HasPrefix(u.ref, "refs/heads/") {
			branches++
		}
	}
	var events []pushEvent
	for _, u := range updates {
		e := pushEvent{refUpdate: u}
		switch {
		case strings.HasPrefix(u.ref, "refs/heads/"):
		case strings.HasPrefix(u.ref, "refs/tags/"):
		default:
			continue
		}
		if u.after != zeroSHA {
			sha, err := s.git(nil, "--git-dir="+s.repoPath(p), "rev-parse", u.after+"^{commit}")
			if err != nil {
				s.t.Logf("gitlabtest: push to %s %s: %v", p.Path, u.ref, err)
				continue
			}
			e.checkout = sha
		}
		if strings.HasPrefix(u.ref, "refs/tags/") {
			if e.checkout != "" {
				c, err := s.commitInfo(p, e.checkout)
				if err != nil {
					s.t.Logf("gitlabtest: push to %s %s: %v", p.Path, u.ref, err)
					continue
				}
				e.commits, e.total = []commitInfo{c}, 1
			} else {
				e.commits = []commitInfo{}
			}
		} else {
			var err error
			e.commits, e.total, err = s.pushedCommits(p, u)
			if err != nil {
				s.t.Logf("gitlabtest: push to %s %s: %v", p.Path, u.ref, err)
				continue
			}
		}
		events = append(events, e)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	p = s.projects[p.ID]
	var pushJobs, mrJobs []job
	for _, e := range events {
		branch, isBranch := strings.CutPrefix(e.ref, "refs/heads/")
		if isBranch && branches > pushHooksLimit {
			continue
		}
		event, kind := "Push Hook", "push"
		if !isBranch {
			event, kind = "Tag Push Hook", "tag_push"
		}
		var targets []hookTarget
		for _, h := range s.hooksOf(p.ID) {
			if (isBranch && h.PushEvents && branchFilterMatch(h.PushEventsBranchFilter, branch)) || (!isBranch && h.TagPushEvents) {
				targets = append(targets, projectHookTarget(h))
			}
		}
		if len(targets) > 0 {
			pushJobs = append(pushJobs, s.jobs(targets, event, s.pushPayload(p, user, kind, e))...)
		}
	}
	for _, e := range events {
		branch, isBranch := strings.CutPrefix(e.ref, "refs/heads/")
		if !isBranch || e.after == zeroSHA {
			continue
		}
		for _, mr := range s.projectMRs(p.ID) {
			if mr.State != MROpened || mr.SourceBranch != branch || mr.SHA == e.checkout {
				continue
			}
			oldrev, now := mr.SHA, s.now()
			changes := map[string]any{"updated_at": map[string]any{"previous": hookTime(mr.UpdatedAt), "current": hookTime(now)}}
			mr.SHA, mr.UpdatedAt = e.checkout, now
			mrJobs = append(mrJobs, s.mrHookJobs(p, mr, user, "update", oldrev, changes)...)
		}
	}
	s.dispatchLocked(pushJobs, mrJobs)
}

// Commit commits files (path → content) on top of branch of the project's
// repository, creating the repository if needed and the branch from the
// default branch if it does not exist; other files are kept. It then fires
// the hooks a push of the commit by the project's creator fires (Push
// Hook, Merge Request Hook "update"), and returns the commit id. The test
// is skipped when git is not installed.
func (s *Server) Commit(p *Project, branch string, files map[string]string, message string) (sha string) {
	s.t.Helper()
	return s.commit(p, branch, files, nil, message)
}

// DeleteFiles commits the removal of paths from branch, as Commit does.
func (s *Server) DeleteFiles(p *Project, branch string, paths []string, message string) (sha string) {
	s.t.Helper()
	return s.commit(p, branch, nil, paths, message)
}

func (s *Server) commit(p *Project, branch string, files map[string]string, remove []string, message string) string {
	s.t.Helper()
	requireGit(s.t, s)
	s.pushMu.Lock()
	defer s.pushMu.Unlock()
	s.mu.Lock()
	p = s.projects[p.ID]
	if p == nil {
		s.mu.Unlock()
		s.t.Fatalf("gitlabtest: Commit: unknown project")
	}
	err := s.ensureRepo(p)
	author := *s.userByID(s.creatorOf(p))
	s.mu.Unlock()
	if err != nil {
		s.t.Fatalf("gitlabtest: Commit %s: %v", p.Path, err)
	}
	ref := "refs/heads/" + branch
	if _, err := s.git(nil, "check-ref-format", ref); err != nil {
		s.t.Fatalf("gitlabtest: Commit: invalid branch name %q", branch)
	}
	before := s.refSnapshot(p)
	parent := before[ref]
	if parent == "" {
		parent = before["refs/heads/"+p.DefaultBranch]
	}

	check := func(name string) {
		if name == "" || strings.ContainsAny(name, "\n\x00") || strings.HasPrefix(name, `"`) || strings.HasPrefix(name, "/") {
			s.t.Fatalf("gitlabtest: Commit: unsupported file name %q", name)
		}
	}
	for _, name := range remove {
		check(name)
	}
	for name := range files {
		check(name)
	}
	if err := s.fastImport(p, ref, parent, author, message, files, remove, false); err != nil {
		s.t.Fatalf("gitlabtest: Commit %s: %v", p.Path, err)
	}
	after := s.refSnapshot(p)
	s.afterPush(p, &author, diffRefs(before, after))
	return after[ref]
}

// markFilled records that the project's repository has commits, for
// empty_repo. s.mu is not held by the caller.
func (s *Server) markFilled(p *Project) {
	s.mu.Lock()
	s.filled[p.ID] = true
	s.mu.Unlock()
}

// fastImport writes one commit on ref with parent (none when ""), by
// author, setting files (path → content) and removing remove; other files
// of the parent are kept; force lets ref move to a commit that does not
// descend from it. The caller holds s.pushMu and checks names.
func (s *Server) fastImport(p *Project, ref, parent string, author User, message string, files map[string]string, remove []string, force bool) error {
	dir := "--git-dir=" + s.repoPath(p)
	var stream bytes.Buffer
	when := fmt.Sprintf("%d +0000", s.now().Unix())
	ident := fmt.Sprintf("%s <%s> %s", author.Name, author.Email, when)
	data := func(b string) { fmt.Fprintf(&stream, "data %d\n%s\n", len(b), b) }
	fmt.Fprintf(&stream, "commit %s\nauthor %s\ncommitter %s\n", ref, ident, ident)
	if !strings.HasSuffix(message, "\n") {
		message += "\n"
	}
	data(message)
	if parent != "" {
		fmt.Fprintf(&stream, "from %s\n", parent)
	}
	for _, name := range remove {
		fmt.Fprintf(&stream, "D %s\n", name)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(&stream, "M 100644 inline %s\n", name)
		data(files[name])
	}
	stream.WriteString("done\n")
	args := []string{dir, "fast-import", "--quiet", "--done"}
	if force {
		// A branch rewritten from another start (the commits API's force).
		args = append(args, "--force")
	}
	_, err := s.git(stream.Bytes(), args...)
	return err
}
