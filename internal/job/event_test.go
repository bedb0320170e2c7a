package job

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func readShared(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "data", "gitlab", "webhooks", name))
	if err != nil {
		t.Skipf("shared data absent (%v): recorded webhook payloads not tested", err)
	}
	return b
}

func TestParseEventRecorded(t *testing.T) {
	push := ParseEvent("Push Hook", readShared(t, "push.json"))
	if push.Action != ActionScan || push.Trigger != "push" || push.Branch == "" || len(push.SHA) != 40 || push.GitLabProjectID == 0 {
		t.Errorf("push.json: %+v", push)
	}
	del := ParseEvent("Push Hook", readShared(t, "branch_delete.json"))
	if del.Action != ActionIgnore {
		t.Errorf("branch_delete.json: %+v", del)
	}
	open := ParseEvent("Merge Request Hook", readShared(t, "pull_request_create.json"))
	if open.Action != ActionScan || open.MRIID == 0 || open.TargetBranch == "" || open.Branch == "" {
		t.Errorf("pull_request_create.json: %+v", open)
	}
	closed := ParseEvent("Merge Request Hook", readShared(t, "pull_request_close.json"))
	if closed.Action != ActionIgnore {
		t.Errorf("pull_request_close.json: %+v", closed)
	}
	tag := ParseEvent("Tag Push Hook", readShared(t, "tag_create.json"))
	if tag.Action != ActionIgnore {
		t.Errorf("tag_create.json: %+v", tag)
	}
}

func TestParseEvent(t *testing.T) {
	for _, tc := range []struct {
		name, event, payload string
		want                 Request
	}{
		{"update without commits", "Merge Request Hook", `{"project":{"id":3},"object_attributes":{"iid":4,"action":"update","source_branch":"f","target_branch":"main","source_project_id":3,"target_project_id":3}}`,
			Request{Action: ActionIgnore, Why: "ignored: merge request !4 updated without new commits"}},
		{"update with commits", "Merge Request Hook", `{"project":{"id":3},"object_attributes":{"iid":4,"action":"update","oldrev":"aa","source_branch":"f","target_branch":"main","source_project_id":3,"target_project_id":3,"last_commit":{"id":"bb"}}}`,
			Request{Action: ActionScan, GitLabProjectID: 3, Trigger: "merge_request", Branch: "f", SHA: "bb", MRIID: 4, TargetBranch: "main"}},
		{"fork", "Merge Request Hook", `{"project":{"id":3},"object_attributes":{"iid":4,"action":"open","source_branch":"f","target_branch":"main","source_project_id":9,"target_project_id":3}}`,
			Request{Action: ActionIgnore, Why: "ignored: merge request !4 comes from a fork (project 9); fork merge requests are not scanned"}},
		{"fix merge request merged", "Merge Request Hook", `{"project":{"id":3},"object_attributes":{"iid":4,"action":"merge","source_branch":"airlock/fix/npm-lodash","target_branch":"main","source_project_id":3,"target_project_id":3}}`,
			Request{Action: ActionFixMR, GitLabProjectID: 3, Branch: "airlock/fix/npm-lodash", MRIID: 4, Merged: true}},
		{"fix merge request closed", "Merge Request Hook", `{"project":{"id":3},"object_attributes":{"iid":4,"action":"close","source_branch":"airlock/fix/npm-lodash","target_branch":"main"}}`,
			Request{Action: ActionFixMR, GitLabProjectID: 3, Branch: "airlock/fix/npm-lodash", MRIID: 4}},
		{"other merge request merged", "Merge Request Hook", `{"project":{"id":3},"object_attributes":{"iid":4,"action":"merge","source_branch":"f","target_branch":"main"}}`,
			Request{Action: ActionIgnore, Why: "ignored: merge request !4 action \"merge\""}},
		{"tag ref in a push", "Push Hook", `{"ref":"refs/tags/v1","after":"bb","project_id":3}`, Request{Action: ActionIgnore, Why: "ignored: refs/tags/v1 is not a branch"}},
		{"system project_create", "System Hook", `{"event_name":"project_create","project_id":5}`, Request{Action: ActionDiscover, Reason: "project_create"}},
		{"not JSON", "Push Hook", `<html>`, Request{Action: ActionIgnore, Why: "ignored: payload is not a push event: invalid character '<' looking for beginning of value"}},
		{"note", "Note Hook", `{}`, Request{Action: ActionIgnore, Why: "ignored: Note Hook is not an event airlock acts on"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ParseEvent(tc.event, []byte(tc.payload))); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func FuzzParseEvent(f *testing.F) {
	for _, e := range []string{"Push Hook", "Merge Request Hook", "System Hook"} {
		f.Add(e, []byte(`{"ref":"refs/heads/main","after":"bb","object_attributes":{"action":"open"},"event_name":"project_create"}`))
	}
	f.Fuzz(func(t *testing.T, event string, payload []byte) {
		r := ParseEvent(event, payload)
		switch r.Action {
		case ActionIgnore:
			if r.Why == "" {
				t.Fatal("ignored without a reason")
			}
		case ActionScan:
			if r.Branch == "" {
				t.Fatal("scan of no branch")
			}
		case ActionDiscover:
		default:
			t.Fatalf("unknown action %q", r.Action)
		}
	})
}
