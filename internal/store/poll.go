package store

import "context"

// BranchSeen reports whether commit sha of the project's branch has a
// scan already (any trigger, any outcome; merge request scans aside), or
// a scan of the branch is waiting or running that has not read its head
// yet: a poll that finds the branch at sha then has nothing to queue.
func (q Queries) BranchSeen(ctx context.Context, projectID int64, branch, sha string) (bool, error) {
	var n int
	err := q.row(ctx, `SELECT COUNT(*) FROM scan WHERE project_id = ? AND branch = ? AND mr_iid IS NULL AND (sha = ? OR (sha = '' AND status IN (?, ?)))`,
		projectID, branch, sha, ScanQueued, ScanRunning).Scan(&n)
	return n > 0, err
}
