package job

import (
	"context"
	"encoding/json"
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

func (r *Runner) decide(ctx context.Context, t *store.Tx, e store.WebhookEvent) (string, error) {
	switch e.Event {
	case "Push Hook":
		var p pushPayload
		if err := json.Unmarshal([]byte(e.Payload), &p); err != nil {
			return "ignored: payload is not a push event: " + err.Error(), nil
		}
		return r.onPush(ctx, t, e, p)
	case "Merge Request Hook":
		var p mergeRequestPayload
		if err := json.Unmarshal([]byte(e.Payload), &p); err != nil {
			return "ignored: payload is not a merge request event: " + err.Error(), nil
		}
		return r.onMergeRequest(ctx, t, e, p)
	case "System Hook":
		var p systemPayload
		if err := json.Unmarshal([]byte(e.Payload), &p); err != nil {
			return "ignored: payload is not a system event: " + err.Error(), nil
		}
		switch p.EventName {
		case "project_create", "project_transfer", "project_rename", "user_add_to_team", "user_remove_from_team", "project_destroy":
			_, err := r.client.InsertTx(ctx, t.SQL(), DiscoverArgs{IntegrationID: e.IntegrationID, Reason: p.EventName}, nil)
			return "discovery queued (" + p.EventName + ")", err
		}
		return "ignored: system event " + p.EventName, nil
	}
	return "ignored: " + e.Event + " is not an event airlock acts on", nil
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
	return p, "", nil
}

func (r *Runner) onPush(ctx context.Context, t *store.Tx, e store.WebhookEvent, pl pushPayload) (string, error) {
	id := pl.ProjectID
	if id == 0 {
		id = pl.Project.ID
	}
	p, why, err := r.selectedProject(ctx, t, e.IntegrationID, id)
	if why != "" || err != nil {
		return why, err
	}
	branch, ok := strings.CutPrefix(pl.Ref, "refs/heads/")
	if !ok {
		return "ignored: " + pl.Ref + " is not a branch", nil
	}
	if pl.After == zeroSHA || pl.After == "" {
		return "ignored: branch " + branch + " deleted", nil
	}
	def := pl.Project.DefaultBranch
	if def == "" {
		def = p.DefaultBranch
	}
	if branch != def {
		return "ignored: push to " + branch + ", not the default branch " + def + " (merge requests are scanned from their own events)", nil
	}
	sha := pl.CheckoutSHA
	if sha == "" {
		sha = pl.After
	}
	s := store.Scan{ProjectID: p.ID, Trigger: store.TriggerPush, Branch: branch, SHA: sha}
	if err := QueueScan(ctx, r.client, t, &s, r.now()); err != nil {
		return "", err
	}
	return fmt.Sprintf("scan %d queued", s.ID), nil
}

func (r *Runner) onMergeRequest(ctx context.Context, t *store.Tx, e store.WebhookEvent, pl mergeRequestPayload) (string, error) {
	a := pl.Attributes
	target := a.TargetProjectID
	if target == 0 {
		target = pl.Project.ID
	}
	p, why, err := r.selectedProject(ctx, t, e.IntegrationID, target)
	if why != "" || err != nil {
		return why, err
	}
	switch {
	case a.Action == "open" || a.Action == "reopen":
	case a.Action == "update" && a.OldRev != "":
	case a.Action == "update":
		return fmt.Sprintf("ignored: merge request !%d updated without new commits", a.IID), nil
	default:
		return fmt.Sprintf("ignored: merge request !%d action %q", a.IID, a.Action), nil
	}
	if a.SourceProjectID != 0 && a.SourceProjectID != target {
		return fmt.Sprintf("ignored: merge request !%d comes from a fork (project %d); fork merge requests are not scanned", a.IID, a.SourceProjectID), nil
	}
	iid := a.IID
	s := store.Scan{ProjectID: p.ID, Trigger: store.TriggerMergeRequest, Branch: a.SourceBranch, SHA: a.LastCommit.ID, MRIID: &iid, TargetBranch: a.TargetBranch}
	if err := QueueScan(ctx, r.client, t, &s, r.now()); err != nil {
		return "", err
	}
	return fmt.Sprintf("scan %d of merge request !%d queued", s.ID, a.IID), nil
}
