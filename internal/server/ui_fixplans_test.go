package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/store"
)

// TestUIFixPlanCounts: the fix-plans page shows its progress as a table
// of plans by state (each a filter link) and the mean time to merge,
// and refuses an unknown state filter naming it.
func TestUIFixPlanCounts(t *testing.T) {
	h := newHarness(t, store.SQLite, options{})
	p, _ := seedFindings(t, h, 1)
	plan := func(key string) store.FixPlan {
		return store.FixPlan{Key: key, Branch: "airlock/fix/" + key, Title: "Upgrade " + key, Severity: "high", Bump: "patch", Digest: key,
			Plan: json.RawMessage(`{"diff":"--- a/go.mod\n+++ b/go.mod\n"}`), Edits: json.RawMessage(`[]`)}
	}
	if _, err := h.store.RecordFixPlans(context.Background(), p.ID, []store.FixPlan{plan("a"), plan("b")}, time.Now()); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, h.url)
	b.signIn(adminToken)
	resp, page := b.get("/fix-plans")
	if resp.StatusCode != http.StatusOK || strings.Contains(page, "ByState") ||
		!strings.Contains(page, `<td data-state="proposed">2</td>`) || !strings.Contains(page, `<td data-state="merged">0</td>`) ||
		!strings.Contains(page, `<a href="/fix-plans?state=approved">approved</a>`) || !strings.Contains(page, "<td>2</td></tr>") ||
		!strings.Contains(page, "to its merge: no plan merged yet.") ||
		!strings.Contains(page, fmt.Sprintf(`<a href="/projects/%d">platform/payments</a> · branch airlock/fix/a`, p.ID)) {
		t.Errorf("fix plans page: %d\n%s", resp.StatusCode, page)
	}
	resp, page = b.get("/fix-plans?state=proposed")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "showing the proposed ones") || !strings.Contains(page, `aria-current="page">proposed</a>`) {
		t.Errorf("filtered: %d\n%s", resp.StatusCode, page)
	}
	if resp, page = b.get("/fix-plans?state=bogus"); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `state &#34;bogus&#34;`) {
		t.Errorf("unknown state: %d\n%s", resp.StatusCode, page)
	}
}

// TestUIFindingsProjectChoice: the findings page's project filter offers
// the projects by path, the one filtered on selected, and the rows name
// the project and link the file to GitLab.
func TestUIFindingsProjectChoice(t *testing.T) {
	h := newHarness(t, store.SQLite, options{})
	p, fs := seedFindings(t, h, 2)
	b := newBrowser(t, h.url)
	b.signIn(adminToken)
	resp, page := b.get(fmt.Sprintf("/findings?project_id=%d", p.ID))
	for _, want := range []string{
		`<select id="f-project" name="project_id"><option value="">any</option>`,
		fmt.Sprintf(`<option value="%d" selected>platform/payments</option>`, p.ID),
		fmt.Sprintf(`<a href="/projects/%d">platform/payments</a> · main`, p.ID),
		fmt.Sprintf(`<a href="https://gitlab.example.com/platform/payments/-/blob/main/go.mod#L%d">go.mod:%d</a>`, fs[0].Line, fs[0].Line),
	} {
		if !strings.Contains(page, want) {
			t.Errorf("findings page (%d) lacks %s", resp.StatusCode, want)
		}
	}
}
