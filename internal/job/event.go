package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/riverqueue/river"

	"github.com/airlock-sec/airlock/internal/store"
)

type eventWorker struct {
	river.WorkerDefaults[EventArgs]
	r *Runner
}

func (w *eventWorker) Work(ctx context.Context, j *river.Job[EventArgs]) error {
	err := w.r.HandleEvent(ctx, j.Args.EventID)
	if gone(err) {
		return nil
	}
	return err
}

// The parts of GitLab's webhook payloads airlock acts on.
type pushPayload struct {
	ObjectKind  string `json:"object_kind"`
	Ref         string `json:"ref"`
	Before      string `json:"before"`
	After       string `json:"after"`
	CheckoutSHA string `json:"checkout_sha"`
	ProjectID   int64  `json:"project_id"`
	Project     struct {
		ID            int64  `json:"id"`
		DefaultBranch string `json:"default_branch"`
	} `json:"project"`
}

type mergeRequestPayload struct {
	ObjectKind string `json:"object_kind"`
	Project    struct {
		ID int64 `json:"id"`
	} `json:"project"`
	Attributes struct {
		IID             int64  `json:"iid"`
		SourceBranch    string `json:"source_branch"`
		TargetBranch    string `json:"target_branch"`
		SourceProjectID int64  `json:"source_project_id"`
		TargetProjectID int64  `json:"target_project_id"`
		State           string `json:"state"`
		Action          string `json:"action"`
		OldRev          string `json:"oldrev"`
		LastCommit      struct {
			ID string `json:"id"`
		} `json:"last_commit"`
	} `json:"object_attributes"`
}

type systemPayload struct {
	EventName string `json:"event_name"`
	ProjectID int64  `json:"project_id"`
}

const zeroSHA = "0000000000000000000000000000000000000000"

// HandleEvent acts on a stored webhook delivery: a push to a selected
// project's default branch queues a scan of it; a merge request opened,
// reopened or updated with new commits queues a scan of its source branch;
// a new project (system hook) queues discovery. Everything else is
// recorded as ignored, with why.
func (r *Runner) HandleEvent(ctx context.Context, eventID int64) error {
	return r.c.Store.InTx(ctx, func(t *store.Tx) error {
		evs, err := t.Event(ctx, eventID)
		if err != nil {
			return err
		}
		outcome, err := r.decide(ctx, t, evs)
		if err != nil {
			return err
		}
		return t.SetEventOutcome(ctx, eventID, outcome)
	})
}

// Request is what a delivery asks for, read from its payload alone.
type Request struct {
	// Action is ActionScan, ActionDiscover or ActionIgnore (Why says why).
	Action string
	Why    string
	// GitLabProjectID is the project to scan.
	GitLabProjectID int64
	Trigger         string
	Branch, SHA     string
	// DefaultBranch is the project's default branch as the push payload
	// gives it; a push elsewhere is not scanned.
	DefaultBranch string
	// MRIID and TargetBranch are set for merge request scans.
	MRIID        int64
	TargetBranch string
	// Reason names the system event behind a discovery.
	Reason string
	// Merged is set for ActionFixMR when the merge request was merged
	// (else closed).
	Merged bool
}

// The actions a delivery can cause.
const (
	ActionScan     = "scan"
	ActionDiscover = "discover"
	ActionIgnore   = "ignore"
	// ActionFixMR moves the plan of a fix merge request (Branch) to
	// merged or closed.
	ActionFixMR = "fix_mr"
)

func ignore(format string, args ...any) Request {
	return Request{Action: ActionIgnore, Why: "ignored: " + fmt.Sprintf(format, args...)}
}

// ParseEvent reads a delivery (its X-Gitlab-Event and body) into what it
// asks airlock to do. It never fails: what cannot be read is ignored, with
// why.
func ParseEvent(event string, payload []byte) Request {
	switch event {
	case "Push Hook":
		var p pushPayload
		if err := json.Unmarshal(payload, &p); err != nil {
			return ignore("payload is not a push event: %v", err)
		}
		id := p.ProjectID
		if id == 0 {
			id = p.Project.ID
		}
		branch, ok := strings.CutPrefix(p.Ref, "refs/heads/")
		switch {
		case !ok:
			return ignore("%s is not a branch", p.Ref)
		case p.After == zeroSHA || p.After == "":
			return ignore("branch %s deleted", branch)
		}
		sha := p.CheckoutSHA
		if sha == "" {
			sha = p.After
		}
		return Request{Action: ActionScan, GitLabProjectID: id, Trigger: store.TriggerPush, Branch: branch, SHA: sha, DefaultBranch: p.Project.DefaultBranch}
	case "Merge Request Hook":
		var p mergeRequestPayload
		if err := json.Unmarshal(payload, &p); err != nil {
			return ignore("payload is not a merge request event: %v", err)
		}
		a := p.Attributes
		target := a.TargetProjectID
		if target == 0 {
			target = p.Project.ID
		}
		switch {
		case (a.Action == "merge" || a.Action == "close") && strings.HasPrefix(a.SourceBranch, fixBranchPrefix):
			// airlock's own fix merge request, merged or closed in GitLab.
			return Request{Action: ActionFixMR, GitLabProjectID: target, Branch: a.SourceBranch, MRIID: a.IID, Merged: a.Action == "merge"}
		case a.Action == "open" || a.Action == "reopen":
		case a.Action == "update" && a.OldRev != "":
		case a.Action == "update":
			return ignore("merge request !%d updated without new commits", a.IID)
		default:
			return ignore("merge request !%d action %q", a.IID, a.Action)
		}
		if a.SourceProjectID != 0 && a.SourceProjectID != target {
			return ignore("merge request !%d comes from a fork (project %d); fork merge requests are not scanned", a.IID, a.SourceProjectID)
		}
		if a.SourceBranch == "" || a.TargetBranch == "" {
			return ignore("merge request !%d names no source or target branch", a.IID)
		}
		return Request{Action: ActionScan, GitLabProjectID: target, Trigger: store.TriggerMergeRequest, Branch: a.SourceBranch, SHA: a.LastCommit.ID, MRIID: a.IID, TargetBranch: a.TargetBranch}
	case "System Hook":
		var p systemPayload
		if err := json.Unmarshal(payload, &p); err != nil {
			return ignore("payload is not a system event: %v", err)
		}
		switch p.EventName {
		case "project_create", "project_transfer", "project_rename", "user_add_to_team", "user_remove_from_team", "project_destroy":
			return Request{Action: ActionDiscover, Reason: p.EventName}
		}
		return ignore("system event %s", p.EventName)
	}
	return ignore("%s is not an event airlock acts on", event)
}

func (r *Runner) decide(ctx context.Context, t *store.Tx, e store.WebhookEvent) (string, error) {
	req := ParseEvent(e.Event, []byte(e.Payload))
	switch req.Action {
	case ActionDiscover:
		_, err := r.client.InsertTx(ctx, t.SQL(), DiscoverArgs{IntegrationID: e.IntegrationID, Reason: req.Reason}, nil)
		return "discovery queued (" + req.Reason + ")", err
	case ActionScan:
		return r.onScan(ctx, t, e.IntegrationID, req)
	case ActionFixMR:
		p, why, err := r.selectedProject(ctx, t, e.IntegrationID, req.GitLabProjectID)
		if err != nil || why != "" {
			return why, err
		}
		state := store.PlanClosed
		if req.Merged {
			state = store.PlanMerged
		}
		ok, err := t.FixPlanMRChanged(ctx, p.ID, req.Branch, req.Merged, r.now())
		if err != nil {
			return "", err
		}
		if !ok {
			return fmt.Sprintf("ignored: no open fix plan has branch %s", req.Branch), nil
		}
		return fmt.Sprintf("fix plan of %s %s (!%d)", req.Branch, state, req.MRIID), nil
	}
	return req.Why, nil
}

func (r *Runner) selectedProject(ctx context.Context, t *store.Tx, integrationID, gitlabID int64) (store.Project, string, error) {
	p, err := t.ProjectByGitLabID(ctx, integrationID, gitlabID)
	if gone(err) {
		return p, fmt.Sprintf("ignored: GitLab project %d is not known to this integration (discovery will add it)", gitlabID), nil
	}
	if err != nil {
		return p, "", err
	}
	if !p.Selected || !p.Visible {
		return p, "ignored: project " + p.Path + " is not selected for scanning", nil
	}
	if p.AccessLevel < store.ReporterAccess {
		return p, "ignored: the token cannot clone " + p.Path + " (below Reporter)", nil
	}
	return p, "", nil
}

func (r *Runner) onScan(ctx context.Context, t *store.Tx, integrationID int64, req Request) (string, error) {
	p, why, err := r.selectedProject(ctx, t, integrationID, req.GitLabProjectID)
	if why != "" || err != nil {
		return why, err
	}
	s := store.Scan{ProjectID: p.ID, Trigger: req.Trigger, Branch: req.Branch, SHA: req.SHA}
	if req.Trigger == store.TriggerPush {
		def := req.DefaultBranch
		if def == "" {
			def = p.DefaultBranch
		}
		if req.Branch != def {
			return "ignored: push to " + req.Branch + ", not the default branch " + def + " (merge requests are scanned from their own events)", nil
		}
		// The same push again (resent under a new key, or late after its
		// scan was superseded): handled already.
		prev, err := t.PushScan(ctx, p.ID, req.Branch, req.SHA)
		if err == nil && prev.Status != store.ScanFailed {
			return fmt.Sprintf("ignored: commit %s of %s is already scanned (scan %d, %s)", short(req.SHA), req.Branch, prev.ID, prev.Status), nil
		}
		if err != nil && !gone(err) {
			return "", err
		}
	} else {
		iid := req.MRIID
		s.MRIID, s.TargetBranch = &iid, req.TargetBranch
		if req.SHA != "" {
			// The same head again (a reopen, a delivery resent under a
			// new key, a late one whose commit was superseded): handled.
			prev, err := t.MergeRequestScan(ctx, p.ID, iid, req.SHA)
			if err == nil && prev.Status != store.ScanFailed {
				return fmt.Sprintf("ignored: commit %s of merge request !%d is already scanned (scan %d, %s)", short(req.SHA), iid, prev.ID, prev.Status), nil
			}
			if err != nil && !gone(err) {
				return "", err
			}
		}
	}
	if err := QueueScan(ctx, r.client, t, &s, r.now()); errors.Is(err, store.ErrConflict) {
		if s.MRIID != nil {
			return fmt.Sprintf("ignored: commit %s of merge request !%d is already scanned", short(s.SHA), *s.MRIID), nil
		}
		return fmt.Sprintf("ignored: commit %s of %s is already scanned", short(s.SHA), s.Branch), nil
	} else if err != nil {
		return "", err
	}
	if s.MRIID != nil {
		return fmt.Sprintf("scan %d of merge request !%d queued", s.ID, *s.MRIID), nil
	}
	return fmt.Sprintf("scan %d queued", s.ID), nil
}
