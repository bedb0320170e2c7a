package netx

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testIP is a TEST-NET-1 address that the test dialer sends to 127.0.0.1, so
// that IP and CIDR NO_PROXY entries can be tested (net/http never proxies
// loopback destinations).
const testIP = "192.0.2.10"

// quiet discards the TLS handshake errors the servers log when a test makes
// a handshake fail on purpose.
var quiet = log.New(io.Discard, "", 0)

// testCA is a CA and a server certificate it signed.
type testCA struct {
	pem  []byte
	leaf tls.Certificate
}

// newTestCA makes a CA and a server certificate for names, 127.0.0.1 and
// testIP, valid from notBefore to notAfter.
func newTestCA(t *testing.T, notBefore, notAfter time.Time, names ...string) testCA {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "netx test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "netx test server"},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     names,
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP(testIP)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return testCA{
		pem:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		leaf: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
	}
}

// startTLS starts an HTTPS server (HTTP/2 enabled) answering "ok" with cert,
// and returns its port.
func startTLS(t *testing.T, cert tls.Certificate) string {
	t.Helper()
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	s.EnableHTTP2 = true
	s.Config.ErrorLog = quiet
	s.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	s.StartTLS()
	t.Cleanup(s.Close)
	return port(t, s.Listener.Addr().String())
}

func port(t *testing.T, addr string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// loopback maps names under .test and testIP to 127.0.0.1.
func loopback(addr string) string {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if strings.HasSuffix(host, ".test") || host == testIP {
		return net.JoinHostPort("127.0.0.1", p)
	}
	return addr
}

// testDialer dials through loopback and records the addresses asked for.
type testDialer struct {
	mu     sync.Mutex
	dialed []string
}

func (d *testDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.dialed = append(d.dialed, addr)
	d.mu.Unlock()
	var nd net.Dialer
	return nd.DialContext(ctx, network, loopback(addr))
}

func (d *testDialer) addrs() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.dialed...)
}

// testProxy is a forward proxy: CONNECT tunnels and absolute-URI requests.
type testProxy struct {
	url     string
	tunnels atomic.Int32
	status  int // when non-zero, answer every CONNECT with this status
	mu      sync.Mutex
	targets []string
}

func startProxy(t *testing.T, status int) *testProxy {
	t.Helper()
	p := &testProxy{status: status}
	s := httptest.NewServer(p)
	t.Cleanup(s.Close)
	p.url = s.URL
	return p
}

func (p *testProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.targets = append(p.targets, r.Host)
	p.mu.Unlock()
	if r.Method != http.MethodConnect {
		p.forward(w, r)
		return
	}
	p.tunnels.Add(1)
	if p.status != 0 {
		http.Error(w, http.StatusText(p.status), p.status)
		return
	}
	upstream, err := net.Dial("tcp", loopback(r.Host))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer upstream.Close()
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
	done := make(chan struct{}, 2)
	go func() { io.Copy(upstream, buf); done <- struct{}{} }()
	go func() { io.Copy(conn, upstream); done <- struct{}{} }()
	<-done
}

func (p *testProxy) forward(w http.ResponseWriter, r *http.Request) {
	out, err := http.NewRequestWithContext(r.Context(), r.Method, r.URL.String(), r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	tr := &http.Transport{DialContext: (&testDialer{}).dial}
	defer tr.CloseIdleConnections()
	resp, err := tr.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

func (p *testProxy) seen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.targets...)
}

func get(t *testing.T, c *http.Client, rawURL string) (string, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.ProtoMajor != 2 && resp.Request.URL.Scheme == "https" {
		t.Errorf("GET %s: protocol %s, want HTTP/2", rawURL, resp.Proto)
	}
	return string(b), nil
}

func mustClient(t *testing.T, c Config, d *testDialer) *http.Client {
	t.Helper()
	var base dialFunc
	if d != nil {
		base = d.dial
	}
	client, err := newClient(c, base)
	if err != nil {
		t.Fatalf("newClient: %v", err)
	}
	t.Cleanup(client.CloseIdleConnections)
	return client
}

func wantHint(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("request succeeded, want a failure explained as %q", want)
	}
	hint, ok := Explain(err)
	if !ok || !strings.Contains(hint, want) {
		t.Errorf("Explain(%v) = %q, %v; want a hint containing %q", err, hint, ok, want)
	}
}

func TestCustomCA(t *testing.T) {
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	s.EnableHTTP2 = true
	s.Config.ErrorLog = quiet
	s.StartTLS()
	defer s.Close()
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
	allow := []string{"127.0.0.1"}

	_, err := get(t, mustClient(t, Config{Allow: allow}, nil), s.URL)
	wantHint(t, err, "the server's certificate is signed by an authority this machine does not trust: supply your internal CA certificate (PEM)")

	for name, ca := range map[string][]byte{
		"PEM":                 caPEM,
		"base64":              []byte(base64.StdEncoding.EncodeToString(caPEM)),
		"base64 wrapped":      []byte(base64.StdEncoding.EncodeToString(caPEM)[:40] + "\n" + base64.StdEncoding.EncodeToString(caPEM)[40:] + "\n"),
		"PEM with whitespace": append(append([]byte("\n  "), caPEM...), "\n\n"...),
	} {
		t.Run(name, func(t *testing.T) {
			body, err := get(t, mustClient(t, Config{Allow: allow, CAPEM: ca}, nil), s.URL)
			if err != nil || body != "ok" {
				t.Fatalf("GET with the CA as %s: %q, %v", name, body, err)
			}
		})
	}
}

func TestCertificateProblems(t *testing.T) {
	now := time.Now()
	d := &testDialer{}

	good := newTestCA(t, now.Add(-time.Hour), now.Add(time.Hour), "gitlab.corp.test")
	p := startTLS(t, good.leaf)
	_, err := get(t, mustClient(t, Config{Allow: []string{"wrong.test"}, CAPEM: good.pem}, d), "https://wrong.test:"+p)
	wantHint(t, err, "not valid for wrong.test")

	expired := newTestCA(t, now.Add(-48*time.Hour), now.Add(-24*time.Hour), "gitlab.corp.test")
	p = startTLS(t, expired.leaf)
	_, err = get(t, mustClient(t, Config{Allow: []string{"gitlab.corp.test"}, CAPEM: expired.pem}, d), "https://gitlab.corp.test:"+p)
	wantHint(t, err, "certificate has expired")

	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	_, err = get(t, mustClient(t, Config{Allow: []string{"127.0.0.1"}}, nil), "https://"+plain.Listener.Addr().String())
	wantHint(t, err, "did not answer with TLS")
}

func TestProxy(t *testing.T) {
	ca := newTestCA(t, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), "gitlab.corp.test", "other.test")
	p := startTLS(t, ca.leaf)

	tests := []struct {
		name    string
		host    string
		noProxy string
		direct  bool
	}{
		{"no NO_PROXY", "gitlab.corp.test", "", false},
		{"other host listed", "gitlab.corp.test", "other.test,git.corp.test", false},
		{"exact host", "gitlab.corp.test", "other.test, gitlab.corp.test", true},
		{".suffix", "gitlab.corp.test", ".corp.test", true},
		{"domain covers subdomains", "gitlab.corp.test", "corp.test", true},
		{"suffix does not match a longer label", "gitlab.corp.test", "rp.test", false},
		{"star", "gitlab.corp.test", "*", true},
		{"host:port", "gitlab.corp.test", "gitlab.corp.test:" + p, true},
		{"host with another port", "gitlab.corp.test", "gitlab.corp.test:1", false},
		{"IP", testIP, testIP, true},
		{"CIDR", testIP, "192.0.2.0/24", true},
		{"CIDR not covering", testIP, "198.51.100.0/24", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proxy := startProxy(t, 0)
			d := &testDialer{}
			c := mustClient(t, Config{
				CAPEM:    ca.pem,
				ProxyURL: proxy.url,
				NoProxy:  tt.noProxy,
				Allow:    []string{tt.host},
			}, d)
			dest := net.JoinHostPort(tt.host, p)
			body, err := get(t, c, "https://"+dest+"/api/v4/version")
			if err != nil || body != "ok" {
				t.Fatalf("GET: %q, %v", body, err)
			}
			proxyAddr := strings.TrimPrefix(proxy.url, "http://")
			wantDialed, wantTunnels := proxyAddr, int32(1)
			if tt.direct {
				wantDialed, wantTunnels = dest, 0
			}
			if got := d.addrs(); len(got) != 1 || got[0] != wantDialed {
				t.Errorf("dialed %v, want [%s]", got, wantDialed)
			}
			if got := proxy.tunnels.Load(); got != wantTunnels {
				t.Errorf("%d tunnels through the proxy, want %d", got, wantTunnels)
			}
			if !tt.direct {
				if got := proxy.seen(); len(got) != 1 || got[0] != dest {
					t.Errorf("proxy asked for %v, want [%s]", got, dest)
				}
			}
		})
	}
}

func TestProxyPlainHTTP(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	defer s.Close()
	proxy := startProxy(t, 0)
	dest := "gitlab.corp.test:" + port(t, s.Listener.Addr().String())
	c := mustClient(t, Config{ProxyURL: proxy.url, Allow: []string{"gitlab.corp.test"}}, &testDialer{})
	body, err := get(t, c, "http://"+dest+"/")
	if err != nil || body != "ok" {
		t.Fatalf("GET: %q, %v", body, err)
	}
	if got := proxy.seen(); len(got) != 1 || got[0] != dest {
		t.Errorf("proxy asked for %v, want [%s]", got, dest)
	}
}

func TestProxyFromEnvironment(t *testing.T) {
	ca := newTestCA(t, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), "gitlab.corp.test")
	p := startTLS(t, ca.leaf)
	proxy := startProxy(t, 0)
	t.Setenv("HTTPS_PROXY", proxy.url)
	t.Setenv("https_proxy", proxy.url)
	t.Setenv("NO_PROXY", "other.test")
	t.Setenv("no_proxy", "other.test")
	c := mustClient(t, Config{FromEnvironment: true, CAPEM: ca.pem, Allow: []string{"gitlab.corp.test"}}, &testDialer{})
	if _, err := get(t, c, "https://gitlab.corp.test:"+p); err != nil {
		t.Fatal(err)
	}
	if got := proxy.tunnels.Load(); got != 1 {
		t.Errorf("%d tunnels through the proxy, want 1", got)
	}

	// Without FromEnvironment the environment is ignored.
	proxy.tunnels.Store(0)
	c = mustClient(t, Config{CAPEM: ca.pem, Allow: []string{"gitlab.corp.test"}}, &testDialer{})
	if _, err := get(t, c, "https://gitlab.corp.test:"+p); err != nil {
		t.Fatal(err)
	}
	if got := proxy.tunnels.Load(); got != 0 {
		t.Errorf("%d tunnels through the proxy from the environment, want 0", got)
	}
}

func TestProxyRefuses(t *testing.T) {
	tests := []struct {
		status int
		hint   string
	}{
		{http.StatusBadGateway, "refused to connect to gitlab.corp.test:443 (502 Bad Gateway): if gitlab.corp.test is internal, add it to NO_PROXY"},
		{http.StatusServiceUnavailable, "if gitlab.corp.test is internal, add it to NO_PROXY"},
		{http.StatusProxyAuthRequired, "requires authentication"},
		{http.StatusForbidden, "does not allow connections to gitlab.corp.test:443"},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			proxy := startProxy(t, tt.status)
			proxyURL := strings.Replace(proxy.url, "http://", "http://airlock:s3cret@", 1)
			c := mustClient(t, Config{ProxyURL: proxyURL, Allow: []string{"gitlab.corp.test"}}, &testDialer{})
			_, err := get(t, c, "https://gitlab.corp.test/api/v4/version")
			wantHint(t, err, tt.hint)
			pe, ok := errors.AsType[*ProxyError](err)
			if !ok || pe.StatusCode != tt.status {
				t.Errorf("error %v: want a *ProxyError with status %d", err, tt.status)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q shows the proxy password", err)
			}
			if hint, _ := Explain(err); strings.Contains(hint, "s3cret") {
				t.Errorf("hint %q shows the proxy password", hint)
			}
		})
	}
}

// countingListener counts the connections accepted on a loopback port.
func countingListener(t *testing.T) (addr string, accepts *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	accepts = new(atomic.Int32)
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			accepts.Add(1)
			conn.Close()
		}
	}()
	return l.Addr().String(), accepts
}

func TestEgressDenied(t *testing.T) {
	addr, accepts := countingListener(t)
	proxyAddr, proxyAccepts := countingListener(t)
	tests := []struct {
		name string
		cfg  Config
	}{
		{"empty allowlist", Config{}},
		{"other host", Config{Allow: []string{"gitlab.corp.test"}}},
		{"same host, other port", Config{Allow: []string{"127.0.0.1:1"}}},
		{"through a proxy", Config{Allow: []string{"gitlab.corp.test"}, ProxyURL: "http://" + proxyAddr}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &testDialer{}
			_, err := get(t, mustClient(t, tt.cfg, d), "http://"+addr+"/")
			if !errors.Is(err, ErrEgressDenied) {
				t.Fatalf("err = %v, want ErrEgressDenied", err)
			}
			if de, ok := errors.AsType[*DeniedError](err); !ok || de.Host != addr {
				t.Errorf("err = %v, want a *DeniedError naming %s", err, addr)
			}
			wantHint(t, err, addr+" is not an allowed destination")
			if got := d.addrs(); len(got) != 0 {
				t.Errorf("dialed %v, want nothing", got)
			}
		})
	}
	// A redirect to a host off the list is refused too.
	redirect := httptest.NewServer(http.RedirectHandler("http://"+addr+"/", http.StatusFound))
	defer redirect.Close()
	_, err := get(t, mustClient(t, Config{Allow: []string{redirect.Listener.Addr().String()}}, nil), redirect.URL)
	if !errors.Is(err, ErrEgressDenied) {
		t.Errorf("redirect off the allowlist: err = %v, want ErrEgressDenied", err)
	}

	// The listeners do count: an allowed request reaches them.
	get(t, mustClient(t, Config{Allow: []string{addr}}, nil), "http://"+addr+"/")
	get(t, mustClient(t, Config{Allow: []string{"gitlab.corp.test"}, ProxyURL: "http://" + proxyAddr}, &testDialer{}), "http://gitlab.corp.test/")
	deadline := time.Now().Add(5 * time.Second)
	for (accepts.Load() != 1 || proxyAccepts.Load() != 1) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if accepts.Load() != 1 || proxyAccepts.Load() != 1 {
		t.Errorf("accepts: destination %d, proxy %d; want exactly the one allowed request each", accepts.Load(), proxyAccepts.Load())
	}
}

func TestDNSFailure(t *testing.T) {
	c := mustClient(t, Config{Allow: []string{"gitlab.airlock.invalid"}, Timeouts: Timeouts{Dial: 5 * time.Second}}, nil)
	_, err := get(t, c, "https://gitlab.airlock.invalid/")
	if err == nil {
		t.Fatal("request to a .invalid name succeeded")
	}
	hint, ok := Explain(err)
	t.Logf("%v\n  hint: %s", err, hint)
	if !ok || !(strings.Contains(hint, "cannot resolve gitlab.airlock.invalid: check the URL and this machine's DNS") ||
		strings.Contains(hint, "looking up gitlab.airlock.invalid timed out")) {
		t.Errorf("Explain(%v) = %q, %v; want the DNS hint", err, hint, ok)
	}

	proxyHost := mustClient(t, Config{ProxyURL: "http://proxy.airlock.invalid:3128", Allow: []string{"gitlab.corp.test"}, Timeouts: Timeouts{Dial: 5 * time.Second}}, nil)
	_, err = get(t, proxyHost, "https://gitlab.corp.test/")
	if hint, _ := Explain(err); !strings.Contains(hint, "the proxy proxy.airlock.invalid") {
		t.Errorf("Explain(%v) = %q; want it to name the proxy", err, hint)
	}
}

func TestConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = get(t, mustClient(t, Config{Allow: []string{"127.0.0.1"}}, nil), "http://"+addr+"/")
	wantHint(t, err, addr+" refused the connection")

	_, err = get(t, mustClient(t, Config{Allow: []string{"gitlab.corp.test"}, ProxyURL: "http://" + addr}, nil), "https://gitlab.corp.test/")
	wantHint(t, err, "the proxy "+addr+" refused the connection")
}

func TestTimeouts(t *testing.T) {
	short := Timeouts{Dial: 100 * time.Millisecond, TLSHandshake: 100 * time.Millisecond, ResponseHeader: 100 * time.Millisecond}

	t.Run("dial", func(t *testing.T) {
		hang := func(ctx context.Context, network, addr string) (net.Conn, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		c, err := newClient(Config{Allow: []string{"gitlab.corp.test"}, Timeouts: short}, hang)
		if err != nil {
			t.Fatal(err)
		}
		_, err = get(t, c, "https://gitlab.corp.test/")
		wantHint(t, err, "connecting to gitlab.corp.test:443 timed out after 100ms")
	})

	t.Run("TLS handshake", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			for {
				conn, err := l.Accept()
				if err != nil {
					return
				}
				defer conn.Close() // silent: never answers the ClientHello
			}
		}()
		_, err = get(t, mustClient(t, Config{Allow: []string{"127.0.0.1"}, Timeouts: short}, nil), "https://"+l.Addr().String()+"/")
		wantHint(t, err, "the TLS handshake with "+l.Addr().String()+" timed out")
	})

	t.Run("response headers", func(t *testing.T) {
		done := make(chan struct{})
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-done
		}))
		defer s.Close()
		defer close(done)
		addr := s.Listener.Addr().String()
		_, err := get(t, mustClient(t, Config{Allow: []string{"127.0.0.1"}, Timeouts: short}, nil), s.URL)
		wantHint(t, err, addr+" accepted the connection but sent no answer in time")
	})
}

func TestNewClientErrors(t *testing.T) {
	garbage, err := os.ReadFile(filepath.Join("testdata", "garbage.txt"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"CA not PEM or base64", Config{CAPEM: []byte("hello world!")}, "ca_certificate: no PEM certificate found, and the text is not base64 either (give the PEM text or its base64)"},
		{"CA base64 of text", Config{CAPEM: []byte(base64.StdEncoding.EncodeToString([]byte("hello")))}, "ca_certificate: base64 given: no PEM certificate found (give the PEM text or its base64)"},
		{"CA broken PEM", Config{CAPEM: garbage}, "ca_certificate: PEM given: certificate 1:"},
		{"CA is a key", Config{CAPEM: []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")}, "ca_certificate: PEM given: PEM block 1 is a PRIVATE KEY, not a CERTIFICATE"},
		{"proxy scheme", Config{ProxyURL: "socks5://proxy:1080"}, `proxy_url: scheme "socks5" is not supported`},
		{"proxy path", Config{ProxyURL: "http://u:pw@proxy:3128/x"}, `proxy_url: "http://u:xxxxx@proxy:3128/x" has a path`},
		{"proxy and environment", Config{ProxyURL: "http://proxy:3128", FromEnvironment: true}, "proxy_url: give the proxy settings or take them from the environment, not both"},
		{"allow URL", Config{Allow: []string{"https://gitlab.corp/"}}, `allow: "https://gitlab.corp/": give a host or host:port`},
		{"allow bad port", Config{Allow: []string{"gitlab:corp:1"}}, `allow: "gitlab:corp:1": give a host or host:port`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewClient(tt.cfg)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("NewClient: %v, want an error starting %q", err, tt.want)
			}
		})
	}
}

func TestAllowlist(t *testing.T) {
	a, err := parseAllow([]string{"GitLab.Corp.", "registry.corp:8443", "::1", "[fd00::1]:443", "10.0.0.1", ""})
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{
		"gitlab.corp:443":       true,
		"GITLAB.CORP.:22":       true,
		"registry.corp:8443":    true,
		"registry.corp:443":     false,
		"[::1]:80":              true,
		"[fd00::1]:443":         true,
		"[fd00::1]:80":          false,
		"10.0.0.1:443":          true,
		"10.0.0.2:443":          false,
		"evil.gitlab.corp:443":  false,
		"gitlab.corp.evil:443":  false,
		"gitlab.corp":           false,
		"[0:0:0:0:0:0:0:1]:443": true,
	} {
		if got := a.permits(addr); got != want {
			t.Errorf("permits(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestParseCA(t *testing.T) {
	for _, name := range []string{"ca.pem", "ca.pem.b64"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		pool, certs, err := ParseCA(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if pool == nil || len(certs) != 1 || certs[0].Subject.CommonName != "airlock test CA" || !certs[0].IsCA {
			t.Errorf("%s: got %d certificates %v, want the airlock test CA", name, len(certs), certs)
		}
	}
	// A bundle of two certificates, with text around them as openssl writes.
	b, err := os.ReadFile(filepath.Join("testdata", "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	other := newTestCA(t, time.Now(), time.Now().Add(time.Hour))
	bundle := append(append([]byte("subject=CN = airlock test CA\n"), b...), other.pem...)
	if _, certs, err := ParseCA(bundle); err != nil || len(certs) != 2 {
		t.Errorf("bundle: %d certificates, %v; want 2", len(certs), err)
	}
	if _, _, err := ParseCA([]byte(" \n")); err == nil || !strings.HasPrefix(err.Error(), "ca_certificate: empty") {
		t.Errorf("empty: %v", err)
	}
}

func TestExplainUnknown(t *testing.T) {
	for _, err := range []error{nil, errors.New("something else"), &url.Error{Op: "Get", URL: "https://x", Err: io.ErrUnexpectedEOF}} {
		if hint, ok := Explain(err); ok {
			t.Errorf("Explain(%v) = %q, true; want no hint", err, hint)
		}
	}
}

func FuzzParseCA(f *testing.F) {
	for _, name := range []string{"ca.pem", "ca.pem.b64", "garbage.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		pool, certs, err := ParseCA(b)
		if err != nil {
			if pool != nil || certs != nil {
				t.Errorf("error %v with a result", err)
			}
			if !strings.HasPrefix(err.Error(), "ca_certificate: ") {
				t.Errorf("error %q does not name the field", err)
			}
			return
		}
		if pool == nil || len(certs) == 0 {
			t.Fatalf("no error and no certificates")
		}
		// What was accepted reads back the same as PEM.
		var again []byte
		for _, c := range certs {
			again = append(again, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
		}
		_, back, err := ParseCA(again)
		if err != nil || len(back) != len(certs) {
			t.Fatalf("re-encoded certificates: %d, %v; want %d", len(back), err, len(certs))
		}
		for i := range back {
			if !back[i].Equal(certs[i]) {
				t.Errorf("certificate %d changed on re-encoding", i)
			}
		}
	})
}
