package gitlabtest_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
)

// TestOAuthAuthorizationCodePKCE: the authorization-code flow with PKCE
// S256, the token's use and info, refresh-token rotation, expiry, and the
// errors of a wrong verifier, a reused code and a revoked refresh token.
func TestOAuthAuthorizationCodePKCE(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	gl := gitlabtest.New(t, gitlabtest.WithClock(clock))
	u := gl.AddUser(gitlabtest.User{Username: "alice"})
	app := gl.AddApplication(gitlabtest.Application{Name: "airlock", RedirectURI: "https://airlock.example/oauth/callback", Scopes: []string{"api"}, UserID: u.ID})
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	verifier := "a-verifier-of-at-least-43-characters-0123456789abcdef"
	sum := sha256.Sum256([]byte(verifier))
	authorize := func(redirect string) *http.Response {
		q := url.Values{"client_id": {app.UID}, "redirect_uri": {redirect}, "response_type": {"code"}, "state": {"st4te"}, "scope": {"api"},
			"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
		resp, err := noFollow.Get(gl.URL + "/oauth/authorize?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := authorize("https://evil.example/cb"); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("foreign redirect_uri: %d", resp.StatusCode)
	}
	code := func() string {
		resp := authorize(app.RedirectURI)
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc.String(), app.RedirectURI) || loc.Query().Get("state") != "st4te" || loc.Query().Get("code") == "" {
			t.Fatalf("authorize: %d %s", resp.StatusCode, loc)
		}
		return loc.Query().Get("code")
	}
	token := func(form url.Values) (int, map[string]any) {
		form.Set("client_id", app.UID)
		form.Set("client_secret", app.Secret)
		resp, err := http.PostForm(gl.URL+"/oauth/token", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	c := code()
	if st, out := token(url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {app.RedirectURI}, "code_verifier": {"wrong"}}); st != 400 || out["error"] != "invalid_grant" {
		t.Fatalf("wrong verifier: %d %v", st, out)
	}
	if st, out := token(url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {app.RedirectURI}, "code_verifier": {verifier}}); st != 400 {
		t.Fatalf("a code is good for one attempt: %d %v", st, out)
	}
	st, tok := token(url.Values{"grant_type": {"authorization_code"}, "code": {code()}, "redirect_uri": {app.RedirectURI}, "code_verifier": {verifier}})
	if st != 200 || tok["token_type"] != "Bearer" || tok["expires_in"] != float64(7200) || tok["refresh_token"] == "" || tok["scope"] != "api" {
		t.Fatalf("token: %d %v", st, tok)
	}
	get := func(path, access string) (int, map[string]any) {
		req, _ := http.NewRequest("GET", gl.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+access)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	access := tok["access_token"].(string)
	if st, user := get("/api/v4/user", access); st != 200 || user["username"] != "alice" {
		t.Fatalf("user: %d %v", st, user)
	}
	if st, info := get("/oauth/token/info", access); st != 200 || info["expires_in"] != float64(7200) || info["application"].(map[string]any)["uid"] != app.UID {
		t.Fatalf("info: %d %v", st, info)
	}
	// Two hours later the access token is expired; the refresh token
	// gives a new pair once.
	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	if st, _ := get("/api/v4/user", access); st != 401 {
		t.Fatalf("expired token: %d", st)
	}
	refresh := tok["refresh_token"].(string)
	st, tok2 := token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}})
	if st != 200 || tok2["access_token"] == access {
		t.Fatalf("refresh: %d %v", st, tok2)
	}
	if st, user := get("/api/v4/user", tok2["access_token"].(string)); st != 200 || user["username"] != "alice" {
		t.Fatalf("refreshed token: %d", st)
	}
	if st, out := token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}); st != 400 || out["error"] != "invalid_grant" {
		t.Fatalf("reused refresh token: %d %v", st, out)
	}
	gl.RevokeRefreshTokens(app)
	if st, out := token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok2["refresh_token"].(string)}}); st != 400 || out["error"] != "invalid_grant" {
		t.Fatalf("revoked refresh token: %d %v", st, out)
	}
	if st, out := token(url.Values{"grant_type": {"password"}}); st != 400 || out["error"] != "unsupported_grant_type" {
		t.Fatalf("password grant: %d %v", st, out)
	}
}
