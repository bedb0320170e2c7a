package gitlab

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
)

// AccessLevel is a GitLab role on a project.
type AccessLevel int

// GitLab's roles.
const (
	NoAccess   AccessLevel = 0
	Guest      AccessLevel = 10
	Reporter   AccessLevel = 20
	Developer  AccessLevel = 30
	Maintainer AccessLevel = 40
	Owner      AccessLevel = 50
)

func (a AccessLevel) String() string {
	switch a {
	case NoAccess:
		return "no access"
	case Guest:
		return "Guest"
	case Reporter:
		return "Reporter"
	case Developer:
		return "Developer"
	case Maintainer:
		return "Maintainer"
	case Owner:
		return "Owner"
	}
	return "access level " + strconv.Itoa(int(a))
}

// Project is a project the token's user is a member of.
type Project struct {
	ID                int64
	PathWithNamespace string // "group/subgroup/name"
	Name              string
	WebURL            string
	HTTPURLToRepo     string // the clone URL
	DefaultBranch     string // empty for an empty repository
	// AccessLevel is the user's role: the higher of the project membership
	// and the membership inherited from its group.
	AccessLevel AccessLevel
	Archived    bool
	EmptyRepo   bool
}

// projectsPerPage is GitLab's maximum page size.
const projectsPerPage = 100

// Projects calls fn with every unarchived project the token's user is a
// member of, in ascending ID order, using keyset pagination (which has no
// depth limit, unlike offset pagination) and following GitLab's Link
// rel="next" header. An error from fn stops the listing and is returned
// as it is. No project at all is not an error: a caller that needs one
// returns NoProjectsError.
func (c *Client) Projects(ctx context.Context, fn func(Project) error) error {
	const op = "list projects"
	opt := &gl.ListProjectsOptions{
		ListOptions: gl.ListOptions{Pagination: "keyset", PerPage: projectsPerPage},
		Membership:  gl.Ptr(true),
		Archived:    gl.Ptr(false),
		OrderBy:     gl.Ptr("id"),
		Sort:        gl.Ptr("asc"),
	}
	next := ""
	for page := 1; ; page++ {
		opts := []gl.RequestOptionFunc{gl.WithContext(ctx)}
		if next != "" {
			opts = append(opts, gl.WithKeysetPaginationParameters(next))
		}
		list, resp, err := c.api.Projects.ListProjects(opt, opts...)
		if err != nil {
			return classify(fmt.Sprintf("%s (page %d)", op, page), err)
		}
		for _, p := range list {
			if err := fn(toProject(p)); err != nil {
				return err
			}
		}
		if resp.NextLink == "" || len(list) == 0 {
			return nil
		}
		if _, err := url.Parse(resp.NextLink); err != nil {
			return &Error{Code: CodeBadRequest, Op: op, Message: "GitLab's Link header is not a URL: " + err.Error()}
		}
		if resp.NextLink == next {
			return &Error{Code: CodeServerError, Op: op, Message: "GitLab's next-page link points at the same page again"}
		}
		next = resp.NextLink
	}
}

func toProject(p *gl.Project) Project {
	out := Project{
		ID:                p.ID,
		PathWithNamespace: p.PathWithNamespace,
		Name:              p.Name,
		WebURL:            p.WebURL,
		HTTPURLToRepo:     p.HTTPURLToRepo,
		DefaultBranch:     p.DefaultBranch,
		Archived:          p.Archived,
		EmptyRepo:         p.EmptyRepo,
	}
	if perm := p.Permissions; perm != nil {
		if perm.ProjectAccess != nil {
			out.AccessLevel = max(out.AccessLevel, AccessLevel(perm.ProjectAccess.AccessLevel))
		}
		if perm.GroupAccess != nil {
			out.AccessLevel = max(out.AccessLevel, AccessLevel(perm.GroupAccess.AccessLevel))
		}
	}
	return out
}

// NoProjectsError is the error for a token whose user is a member of no
// project (CodeNoProjects), saying which memberships airlock needs.
// username may be empty.
func NoProjectsError(username string) *Error {
	who := "the token's user"
	if username != "" {
		who += " (" + username + ")"
	}
	return &Error{
		Code:    CodeNoProjects,
		Op:      "list projects",
		Message: who + " is not a member of any project",
		Hint: "airlock scans the projects its user is a member of: add the user to the groups or projects to scan — " +
			"Reporter to scan, Developer to open remediation merge requests, Maintainer to install webhooks " +
			"(for a group or project access token, create it on the group that holds the projects)",
	}
}

// Project fetches one project by its ID; CodeNotFound when it does not
// exist or the token's user cannot see it.
func (c *Client) Project(ctx context.Context, id int64) (Project, error) {
	p, _, err := c.api.Projects.GetProject(id, nil, gl.WithContext(ctx))
	if err != nil {
		return Project{}, classify(fmt.Sprintf("read project %d", id), err)
	}
	return toProject(p), nil
}
