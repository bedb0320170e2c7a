package registry

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// The real Go module proxy and npm registry stand in for a site's mirror
// (Athens, Verdaccio, Artifactory and Nexus speak the same protocols).
// These tests skip, saying so, when the machine cannot reach them.

func skipUnreachable(t *testing.T, err error) {
	t.Helper()
	var dns *net.DNSError
	var op *net.OpError
	if errors.As(err, &dns) || errors.As(err, &op) {
		t.Skipf("the registry is not reachable from here: %v", err)
	}
}

func TestRealNPM(t *testing.T) {
	if testing.Short() {
		t.Skip("network test")
	}
	c, s := client(t, "npm", "https://registry.npmjs.org", Config{})
	ctx := context.Background()
	p, err := c.Package(ctx, "left-pad")
	if err != nil {
		skipUnreachable(t, err)
		t.Fatal(err)
	}
	v, ok := p.Find("1.3.0")
	if !ok || v.License != "WTFPL" || !strings.HasPrefix(v.Integrity, "sha512-") || v.Published.IsZero() || p.Latest != "1.3.0" {
		t.Errorf("left-pad 1.3.0: %+v (latest %q)", v, p.Latest)
	}
	sc, err := c.Package(ctx, "@types/node")
	if err != nil || sc.Latest == "" || len(sc.Versions) < 100 {
		t.Errorf("scoped package: %d versions, latest %q, %v", len(sc.Versions), sc.Latest, err)
	}
	if _, err := c.Package(ctx, "airlock-no-such-package-2f7c1a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing package: %v, want ErrNotFound", err)
	}
	if st := s.Stats(); st.Requests != 3 {
		t.Errorf("stats %+v, want 3 requests", st)
	}
}

func TestRealGoProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("network test")
	}
	c, _ := client(t, "go", "https://proxy.golang.org", Config{})
	ctx := context.Background()
	p, err := c.Package(ctx, "github.com/golang/protobuf")
	if err != nil {
		skipUnreachable(t, err)
		t.Fatal(err)
	}
	if !strings.Contains(p.Deprecated, "google.golang.org/protobuf") {
		t.Errorf("deprecated %q, want the go.mod's Deprecated comment", p.Deprecated)
	}
	if v, _ := p.Find(p.Latest); v.Published.Before(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("latest %s published %v", p.Latest, v.Published)
	}
	l, err := c.(Licenser).License(ctx, "github.com/golang/protobuf", "v1.5.4")
	if err != nil || !strings.Contains(string(l.Files["LICENSE"]), "Redistribution and use") {
		t.Errorf("license files of the module zip: %v, %v", keysOf(l), err)
	}
}

func keysOf(l *License) []string {
	if l == nil {
		return nil
	}
	var out []string
	for k := range l.Files {
		out = append(out, k)
	}
	return out
}
