package gitlab

import (
	"context"
	"fmt"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
)

// OpenMergeRequests returns the project's open merge requests (every page),
// with their heads: what a server that receives no webhooks polls.
func (c *Client) OpenMergeRequests(ctx context.Context, projectID int64) ([]MergeRequest, error) {
	op := fmt.Sprintf("list the open merge requests of project %d", projectID)
	opt := &gl.ListProjectMergeRequestsOptions{
		ListOptions: gl.ListOptions{PerPage: 100, Page: 1},
		State:       gl.Ptr("opened"),
	}
	var out []MergeRequest
	for {
		mrs, resp, err := c.api.MergeRequests.ListProjectMergeRequests(projectID, opt, gl.WithContext(ctx))
		if err != nil {
			return nil, classify(op, err)
		}
		for _, mr := range mrs {
			if mr.State != "opened" {
				continue
			}
			out = append(out, MergeRequest{
				ProjectID:       mr.ProjectID,
				IID:             mr.IID,
				Title:           mr.Title,
				State:           mr.State,
				SourceBranch:    mr.SourceBranch,
				TargetBranch:    mr.TargetBranch,
				SourceProjectID: mr.SourceProjectID,
				SHA:             mr.SHA,
				WebURL:          mr.WebURL,
			})
		}
		if resp == nil || resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}
