package netx

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestOffline: with offline mode on, a client whose own allowlist admits a
// destination still cannot reach it unless the process's configured
// destinations do; the refusal is observed and explained; turning it off
// restores the client's own rules.
func TestOffline(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer ok.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("offline mode let a request reach a destination outside the configuration")
	}))
	defer other.Close()
	okAddr, otherAddr := ok.Listener.Addr().String(), other.Listener.Addr().String()

	var mu sync.Mutex
	var denied []string
	Observe(func(d Dial) {
		if d.Denied {
			mu.Lock()
			denied = append(denied, d.Addr)
			mu.Unlock()
		}
	})
	defer Observe(nil)
	hosts, err := NewHosts(ok.URL)
	if err != nil {
		t.Fatal(err)
	}
	SetOffline(hosts.Permits)
	defer SetOffline(nil)
	if !IsOffline() {
		t.Fatal("IsOffline() = false after SetOffline")
	}

	c := mustClient(t, Config{Allow: []string{okAddr, otherAddr}}, nil)
	if _, err := get(t, c, ok.URL+"/"); err != nil {
		t.Fatalf("a configured destination: %v", err)
	}
	_, err = get(t, c, other.URL+"/")
	de, isDenied := errors.AsType[*DeniedError](err)
	if !errors.Is(err, ErrEgressDenied) || !isDenied || !de.Offline || de.Host != otherAddr {
		t.Fatalf("an unconfigured destination: %v, want an offline *DeniedError", err)
	}
	if !strings.Contains(err.Error(), "not a configured destination, and airlock runs offline") {
		t.Errorf("message: %v", err)
	}
	wantHint(t, err, otherAddr+" is not an allowed destination")
	if err := CheckOffline(other.URL + "/group/project.git"); err == nil {
		t.Error("CheckOffline let git reach an unconfigured destination")
	}
	if err := CheckOffline(ok.URL + "/group/project.git"); err != nil {
		t.Errorf("CheckOffline refused a configured destination: %v", err)
	}
	mu.Lock()
	if len(denied) != 2 || denied[0] != otherAddr || denied[1] != otherAddr {
		t.Errorf("observed refusals %v, want the two to %s", denied, otherAddr)
	}
	mu.Unlock()

	SetOffline(nil)
	if err := CheckOffline(other.URL); err != nil || IsOffline() {
		t.Errorf("offline mode still on after SetOffline(nil): %v", err)
	}
}

func TestNewHosts(t *testing.T) {
	h, err := NewHosts("https://gitlab.corp/", "http://mirror.corp:8081/repository/npm/", "files.corp", "10.0.0.5:443", " ")
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{
		"gitlab.corp:443":   true,
		"gitlab.corp":       true,
		"mirror.corp:8081":  true,
		"mirror.corp:443":   false,
		"files.corp:80":     true,
		"10.0.0.5:443":      true,
		"10.0.0.5:80":       false,
		"evil.example:443":  false,
		"gitlab.corp.x:443": false,
	} {
		if got := h.Permits(addr); got != want {
			t.Errorf("Permits(%q) = %v, want %v", addr, got, want)
		}
	}
	for _, bad := range []string{"https:///nohost", "a/b", "host:port:x"} {
		if _, err := NewHosts(bad); err == nil || !strings.Contains(err.Error(), "offline destinations") {
			t.Errorf("NewHosts(%q): %v, want an error naming it", bad, err)
		}
	}
	var nilHosts *Hosts
	if nilHosts.Permits("x:1") {
		t.Error("a nil set permits")
	}
}

// TestPermitCandidate: in offline mode a destination being configured is
// reachable while some request holds it (two holders, released twice is
// harmless), and refused again once every holder has released it.
func TestPermitCandidate(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	SetOffline(func(string) bool { return false })
	defer SetOffline(nil)
	c, err := NewClient(Config{Allow: []string{srv.Listener.Addr().String()}})
	if err != nil {
		t.Fatal(err)
	}
	get := func() error {
		resp, err := c.Get(srv.URL)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := get(); err == nil {
		t.Fatal("offline mode let an unconfigured destination through")
	}
	r1, err := PermitCandidate(srv.URL + "/api/v4")
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := PermitCandidate(srv.URL)
	if err := get(); err != nil {
		t.Fatalf("a candidate destination was refused: %v", err)
	}
	r1()
	r1()
	if err := get(); err != nil {
		t.Fatalf("refused while a second holder still holds it: %v", err)
	}
	r2()
	c.CloseIdleConnections()
	if err := get(); err == nil {
		t.Error("the candidate stayed permitted after every holder released it")
	}
	if _, err := PermitCandidate("not a url"); err == nil {
		t.Error("a URL without a host was accepted")
	}
}
