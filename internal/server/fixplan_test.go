package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
)

// TestFixPlansAPI: plans are listed per project and across the instance
// with their counts; approval and rejection need a reason and the admin
// role, follow the plan's states and are audited.
func TestFixPlansAPI(t *testing.T) {
	for _, d := range storetest.Engines() {
		t.Run(string(d), func(t *testing.T) {
			h := newHarness(t, d, options{})
			ctx := context.Background()
			now := time.Now()
			in := store.Integration{Name: "gl", URL: "https://gitlab.example.com", TokenKind: "personal", TokenSealed: []byte{1}, WebhookSealed: []byte{2}, Selection: store.SelectAll}
			if err := h.store.CreateIntegration(ctx, &in, now); err != nil {
				t.Fatal(err)
			}
			var pids []int64
			for i := range 2 {
				p := store.Project{IntegrationID: in.ID, GitLabID: int64(10 + i), Path: fmt.Sprintf("g/p%d", i), DefaultBranch: "main", Selected: true}
				if _, err := h.store.UpsertProject(ctx, &p, now); err != nil {
					t.Fatal(err)
				}
				pids = append(pids, p.ID)
				var plans []store.FixPlan
				for _, key := range []string{"npm:lodash@package-lock.json", "Go:golang.org/x/net@go.mod"} {
					plans = append(plans, store.FixPlan{Key: key, Branch: "airlock/fix/x", Title: "Upgrade", Severity: "high", Bump: "patch", Digest: "d",
						Plan: json.RawMessage(`{"diff":"--- a/go.mod"}`), Edits: json.RawMessage(`[{"Path":"go.mod","New":"bW9kdWxlIHgK"}]`)})
				}
				if i == 1 {
					plans = append(plans, store.FixPlan{Key: "PyPI:jinja2@poetry.lock", Branch: "airlock/fix/y", Title: "Upgrade", Severity: "high", Bump: "patch", Digest: "d",
						Plan: json.RawMessage(`{"manual":["poetry.lock: run poetry update"]}`), Edits: json.RawMessage(`[]`)})
				}
				if _, err := h.store.RecordFixPlans(ctx, p.ID, plans, now); err != nil {
					t.Fatal(err)
				}
			}
			var all struct {
				Items []struct {
					ID        int64           `json:"id"`
					ProjectID int64           `json:"project_id"`
					State     string          `json:"state"`
					Plan      json.RawMessage `json:"plan"`
					Reason    string          `json:"reason"`
					DecidedBy string          `json:"decided_by"`
				} `json:"items"`
				Counts store.FixPlanCounts `json:"counts"`
			}
			h.admin("GET", "/api/v1/fix-plans", nil, 200, &all)
			if len(all.Items) != 5 || all.Counts.ByState["proposed"] != 5 || string(all.Items[0].Plan) != `{"diff":"--- a/go.mod"}` {
				t.Fatalf("instance: %+v", all)
			}
			h.admin("GET", fmt.Sprintf("/api/v1/fix-plans?project_id=%d", pids[1]), nil, 200, &all)
			if len(all.Items) != 3 || all.Items[0].ProjectID != pids[1] {
				t.Fatalf("project: %+v", all)
			}
			// A plan that changes no file cannot be approved: there is no
			// merge request to open.
			var manualID int64
			var others []int64
			for _, it := range all.Items {
				if string(it.Plan) == `{"manual":["poetry.lock: run poetry update"]}` {
					manualID = it.ID
				} else {
					others = append(others, it.ID)
				}
			}
			var noEdits apiErr
			h.admin("POST", fmt.Sprintf("/api/v1/fix-plans/%d/approve", manualID), map[string]string{"reason": "looks fine"}, 409, &noEdits)
			if noEdits.Error.Code != "no_edits" || !strings.Contains(noEdits.Error.Message, "changes no file") {
				t.Errorf("approving a plan without edits: %+v", noEdits)
			}
			h.admin("POST", fmt.Sprintf("/api/v1/fix-plans/%d/reject", manualID), map[string]string{"reason": "manual change"}, 200, nil)
			id := others[0]
			var e apiErr
			h.admin("POST", fmt.Sprintf("/api/v1/fix-plans/%d/approve", id), map[string]string{"reason": " "}, 422, &e)
			if e.Error.Field != "reason" {
				t.Errorf("no reason: %+v", e)
			}
			var created struct{ Token string }
			h.admin("POST", "/api/v1/tokens", map[string]string{"name": "dash", "role": "viewer"}, 201, &created)
			h.do("POST", fmt.Sprintf("/api/v1/fix-plans/%d/approve", id), created.Token, map[string]string{"reason": "x"}, 403, nil)
			h.do("GET", "/api/v1/fix-plans?state=proposed", created.Token, nil, 200, nil)

			var p struct {
				State string `json:"state"`
			}
			h.admin("POST", fmt.Sprintf("/api/v1/fix-plans/%d/approve", id), map[string]string{"reason": "patch bump of a high finding"}, 200, &p)
			if p.State != "approved" {
				t.Errorf("approved: %+v", p)
			}
			h.admin("POST", fmt.Sprintf("/api/v1/fix-plans/%d/reject", others[1]), map[string]string{"reason": "breaks the build"}, 200, nil)
			h.admin("POST", fmt.Sprintf("/api/v1/fix-plans/%d/approve", id), map[string]string{"reason": "again"}, 422, &e)
			if e.Error.Code != "invalid_state" {
				t.Errorf("approving an approved plan: %+v", e)
			}
			h.admin("POST", "/api/v1/fix-plans/999999/approve", map[string]string{"reason": "x"}, 404, nil)
			h.admin("GET", "/api/v1/fix-plans?state=done", nil, 422, nil)

			h.admin("GET", "/api/v1/fix-plans?state=approved", nil, 200, &all)
			if len(all.Items) != 1 || all.Items[0].Reason != "patch bump of a high finding" || all.Items[0].DecidedBy == "" ||
				all.Counts.ByState["approved"] != 1 || all.Counts.ByState["rejected"] != 2 || all.Counts.ByState["proposed"] != 2 {
				t.Errorf("after the decisions: %+v", all)
			}
			var log struct {
				Items []store.AuditEntry `json:"items"`
			}
			h.admin("GET", "/api/v1/audit", nil, 200, &log)
			actions := map[string]bool{}
			for _, a := range log.Items {
				actions[a.Action+" "+a.Detail] = true
			}
			if !actions["fix_plan.approve patch bump of a high finding"] || !actions["fix_plan.reject breaks the build"] || !actions["fix_plan.reject manual change"] || actions["fix_plan.approve looks fine"] {
				t.Errorf("audit: %+v", log.Items)
			}
		})
	}
}
