package gitlab

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
)

func TestCheck(t *testing.T) {
	ctx := context.Background()
	expiry := func(d int) *time.Time {
		e := days(d)
		day := time.Date(e.Year(), e.Month(), e.Day(), 0, 0, 0, 0, time.UTC)
		return &day
	}
	type setup struct {
		admin    bool
		scopes   []string
		expires  *time.Time
		revoked  bool
		oauth    bool
		projects bool
		value    string // the token the client sends; testToken if empty
	}
	all := []string{"api", "read_repository", "write_repository"}
	tests := []struct {
		name     string
		setup    setup
		want     Check    // URL, Version, Revision, UserID filled in by the test
		wantErr  Code     // "" for success
		wantText []string // parts of the error or of the warnings
	}{
		{
			name:  "all scopes, no expiry",
			setup: setup{scopes: all, projects: true},
			want:  Check{Username: "airlock-bot", TokenKind: TokenPersonal, TokenName: "airlock", Scopes: all},
		},
		{
			name:  "api alone is enough",
			setup: setup{scopes: []string{"api"}, projects: true, expires: expiry(200)},
			want:  Check{Username: "airlock-bot", TokenKind: TokenPersonal, TokenName: "airlock", Scopes: []string{"api"}, ExpiresAt: expiry(200)},
		},
		{
			name:  "admin",
			setup: setup{admin: true, scopes: all, projects: true},
			want:  Check{Username: "airlock-bot", Admin: true, TokenKind: TokenPersonal, TokenName: "airlock", Scopes: all},
		},
		{
			name:  "expires in 10 days",
			setup: setup{scopes: all, projects: true, expires: expiry(10)},
			want: Check{Username: "airlock-bot", TokenKind: TokenPersonal, TokenName: "airlock", Scopes: all, ExpiresAt: expiry(10),
				Warnings: []Warning{{Code: WarnTokenExpiresSoon}}},
			wantText: []string{"in 10 days", expiry(10).Format(time.DateOnly)},
		},
		{
			name:  "expires in 30 days",
			setup: setup{scopes: all, projects: true, expires: expiry(30)},
			want: Check{Username: "airlock-bot", TokenKind: TokenPersonal, TokenName: "airlock", Scopes: all, ExpiresAt: expiry(30),
				Warnings: []Warning{{Code: WarnTokenExpiresSoon}}},
			wantText: []string{"in 30 days"},
		},
		{
			name:     "expires tomorrow, so at midnight UTC",
			setup:    setup{scopes: all, projects: true, expires: expiry(1)},
			want:     Check{Username: "airlock-bot", TokenKind: TokenPersonal, TokenName: "airlock", Scopes: all, ExpiresAt: expiry(1), Warnings: []Warning{{Code: WarnTokenExpiresSoon}}},
			wantText: []string{"hours (" + expiry(1).Format(time.DateOnly) + ")"},
		},
		{
			name:  "expires in 31 days: no warning",
			setup: setup{scopes: all, projects: true, expires: expiry(31)},
			want:  Check{Username: "airlock-bot", TokenKind: TokenPersonal, TokenName: "airlock", Scopes: all, ExpiresAt: expiry(31)},
		},
		{
			name:     "no projects",
			setup:    setup{scopes: all},
			want:     Check{Username: "airlock-bot", TokenKind: TokenPersonal, TokenName: "airlock", Scopes: all, Warnings: []Warning{{Code: WarnNoProjects}}},
			wantText: []string{"not a member of any project", "Maintainer"},
		},
		{
			name:  "OAuth",
			setup: setup{oauth: true, scopes: all, projects: true, expires: days(20)},
			want: Check{Username: "airlock-bot", TokenKind: TokenOAuth, Scopes: all,
				Warnings: []Warning{{Code: WarnTokenExpiresSoon}}},
			wantText: []string{"in 20 days"},
		},
		{
			name:     "unknown token",
			setup:    setup{scopes: all, value: "glpat-unknown"},
			wantErr:  CodeUnauthorized,
			wantText: []string{"401", "copied whole"},
		},
		{
			name:     "revoked",
			setup:    setup{scopes: all, revoked: true},
			wantErr:  CodeTokenRevoked,
			wantText: []string{"revoked", "create a new access token"},
		},
		{
			name:     "expired",
			setup:    setup{scopes: all, expires: expiry(-1)},
			wantErr:  CodeTokenExpired,
			wantText: []string{"expired", "rotate"},
		},
		{
			name:     "read scopes only",
			setup:    setup{scopes: []string{"read_api", "read_repository"}, projects: true},
			want:     Check{Username: "airlock-bot", TokenKind: TokenPersonal, TokenName: "airlock", Scopes: []string{"read_api", "read_repository"}},
			wantErr:  CodeInsufficientScope,
			wantText: []string{"api (without it: no project discovery, webhooks", "write_repository (without it: no pushing branches for remediation"},
		},
		{
			name:     "git scopes only",
			setup:    setup{scopes: []string{"read_repository", "write_repository"}},
			wantErr:  CodeInsufficientScope,
			wantText: []string{"any of api, read_api, read_user"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := gitlabtest.New(t)
			user := srv.AddUser(gitlabtest.User{Username: "airlock-bot", Admin: tt.setup.admin})
			value := testToken
			if tt.setup.oauth {
				value = testOAuthToken
			}
			srv.AddToken(gitlabtest.Token{UserID: user.ID, Value: value, Scopes: tt.setup.scopes, ExpiresAt: tt.setup.expires, Revoked: tt.setup.revoked, OAuth: tt.setup.oauth})
			if tt.setup.projects {
				srv.AddProject(gitlabtest.Project{Path: "team/app", Members: map[int]gitlabtest.AccessLevel{user.ID: gitlabtest.Developer}})
			}
			if tt.setup.value != "" {
				value = tt.setup.value
			}
			c := newClient(t, srv.URL, value, func(c *Config) {
				if tt.setup.oauth {
					c.TokenKind = TokenOAuth
				}
			})
			got, err := c.Check(ctx)
			if tt.wantErr != "" {
				wantCode(t, err, tt.wantErr, tt.wantText...)
				if tt.want.Username == "" {
					return
				}
			} else if err != nil {
				t.Fatalf("Check: %v", err)
			}
			want := tt.want
			want.URL, want.Version, want.Revision, want.Enterprise, want.UserID = srv.URL, "17.5.0-ee", "0123456789a", true, int64(user.ID)
			opts := cmp.Options{
				cmpopts.IgnoreFields(Warning{}, "Message"),
				cmpopts.EquateEmpty(),
			}
			if tt.setup.oauth {
				opts = append(opts, cmpopts.IgnoreFields(Check{}, "ExpiresAt"))
				if got.ExpiresAt == nil || got.ExpiresAt.Sub(*days(20)).Abs() > time.Minute {
					t.Errorf("ExpiresAt = %v, want in 20 days", got.ExpiresAt)
				}
			}
			if diff := cmp.Diff(want, got, opts...); diff != "" {
				t.Errorf("Check (-want +got):\n%s", diff)
			}
			if tt.wantErr == "" {
				var msgs []string
				for _, w := range got.Warnings {
					msgs = append(msgs, w.Message)
				}
				for _, part := range tt.wantText {
					if !strings.Contains(strings.Join(msgs, "\n"), part) {
						t.Errorf("warnings %q do not contain %q", msgs, part)
					}
				}
			}
		})
	}
}

// TestCheckWrongKind: a personal token given as an OAuth token works on the
// API (as a Bearer token) but not on /oauth/token/info; Check says so.
func TestCheckWrongKind(t *testing.T) {
	f := newFixture(t)
	_, err := newClient(t, f.srv.URL, f.token, func(c *Config) { c.TokenKind = TokenOAuth }).Check(context.Background())
	wantCode(t, err, CodeUnauthorized, "not know the token as an OAuth token", `token type "personal"`)
}

// TestCheckOldGitLab: before 15.5 there is no /personal_access_tokens/self;
// Check still succeeds and says the scopes are unknown.
func TestCheckOldGitLab(t *testing.T) {
	f := newFixture(t, gitlabtest.WithVersion("15.4.2"))
	f.srv.AddProject(gitlabtest.Project{Path: "team/app", Members: map[int]gitlabtest.AccessLevel{f.user.ID: gitlabtest.Maintainer}})
	old := front(t, f.srv.URL, func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/api/v4/personal_access_tokens/self" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":"404 Not Found"}`))
			return true
		}
		return false
	})
	got, err := newClient(t, old.URL, f.token).Check(context.Background())
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if got.Scopes != nil || got.Version != "15.4.2" || got.Username != "airlock-bot" {
		t.Errorf("Check = %+v, want version 15.4.2, user airlock-bot, unknown scopes", got)
	}
	if len(got.Warnings) != 1 || got.Warnings[0].Code != WarnScopesUnknown || !strings.Contains(got.Warnings[0].Message, "15.5") {
		t.Errorf("Warnings = %+v, want one %s saying 15.5", got.Warnings, WarnScopesUnknown)
	}
}
