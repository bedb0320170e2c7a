package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/airlock-sec/airlock/internal/job"
	"github.com/airlock-sec/airlock/internal/store"
)

// fixPlanList is the answer of GET /api/v1/fix-plans: the plans and their
// counts by state, with the mean time from proposal to merge.
type fixPlanList struct {
	Items  []store.FixPlan     `json:"items"`
	Counts store.FixPlanCounts `json:"counts"`
}

// decisionRequest approves or rejects a plan.
type decisionRequest struct {
	// Reason says why (required).
	Reason string `json:"reason"`
}

// planQuery reads the plan lists' filters, of the API and the page: the
// project (0: every one) and the state (empty: any).
func planQuery(r *http.Request) (pid int64, state string, err error) {
	pid, err = queryInt(r, "project_id", 0, 0)
	state = r.URL.Query().Get("state")
	if err == nil && state != "" && !slices.Contains(store.PlanStates, state) {
		err = apiError{Code: "invalid_query", Field: "state", Message: fmt.Sprintf("state %q is not one of %s", state, strings.Join(store.PlanStates, ", "))}
	}
	return pid, state, err
}

// listFixPlans lists remediation plans of one project (project_id) or of
// the whole instance, optionally in one state, with the counts.
func (s *Server) listFixPlans(w http.ResponseWriter, r *http.Request, _ principal) {
	pid, state, err := planQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	plans, err := s.c.Store.FixPlans(ctx, pid, state)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	counts, err := s.c.Store.CountFixPlans(ctx, pid)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, fixPlanList{Items: plans, Counts: counts})
}

func (s *Server) getFixPlan(w http.ResponseWriter, r *http.Request, _ principal) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.c.Store.FixPlan(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) approveFixPlan(w http.ResponseWriter, r *http.Request, p principal) {
	s.decideFixPlan(w, r, p, true)
}

func (s *Server) rejectFixPlan(w http.ResponseWriter, r *http.Request, p principal) {
	s.decideFixPlan(w, r, p, false)
}

// decideFixPlan records an approval or rejection, with who, when and why,
// in the plan and the audit log, in one transaction; an approval queues
// the job that opens the plan's merge request in it too.
func (s *Server) decideFixPlan(w http.ResponseWriter, r *http.Request, p principal, approve bool) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req decisionRequest
	if err := decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	s.answer(w, r)(s.decide(r.Context(), id, approve, req.Reason, p))
}

// decide is the decision of the API and the web UI.
func (s *Server) decide(ctx context.Context, id int64, approve bool, reason string, p principal) (store.FixPlan, error) {
	if strings.TrimSpace(reason) == "" {
		return store.FixPlan{}, apiError{Code: "invalid_field", Field: "reason", Message: "reason is required: say why the plan is approved or rejected"}
	}
	var out store.FixPlan
	err := s.c.Store.InTx(ctx, func(t *store.Tx) error {
		if approve {
			cur, err := t.FixPlan(ctx, id)
			if err != nil {
				return err
			}
			if !hasEdits(cur) {
				return errNoEdits
			}
		}
		var err error
		out, err = t.DecideFixPlan(ctx, id, approve, p.actor(), strings.TrimSpace(reason), s.c.Now())
		if err != nil || !approve {
			return err
		}
		// The merge request is opened by a job queued with the approval.
		_, err = s.c.Jobs.InsertTx(ctx, t.SQL(), job.FixMRArgs{ProjectID: out.ProjectID}, nil)
		return err
	})
	if errors.Is(err, errNoEdits) {
		return out, conflictError{apiError{Code: "no_edits", Message: fmt.Sprintf("fix plan %d changes no file (its changes are manual, or the lockfile tool failed: see its instructions and tool output): there is nothing to open a merge request with; make the change by hand or reject the plan", id)}}
	}
	if errors.Is(err, store.ErrPlanState) {
		return out, apiError{Code: "invalid_state", Message: strings.TrimPrefix(err.Error(), "store: ")}
	}
	return out, err
}

// errNoEdits refuses approving a plan that changes no file.
var errNoEdits = errors.New("the plan changes no file")

// hasEdits reports whether a stored plan has at least one file edit.
func hasEdits(p store.FixPlan) bool {
	var edits []json.RawMessage
	return json.Unmarshal(p.Edits, &edits) == nil && len(edits) > 0
}
