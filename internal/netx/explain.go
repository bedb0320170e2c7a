package netx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
)

// Explain maps an error from a client built by NewClient to a hint for the
// person setting up the connection: what went wrong, in their terms, and what
// to do about it. ok is false when the error is not one Explain knows; the
// caller then shows the error itself.
func Explain(err error) (hint string, ok bool) {
	if err == nil {
		return "", false
	}
	host := ""
	if ue, isURL := errors.AsType[*url.Error](err); isURL {
		if u, perr := url.Parse(ue.URL); perr == nil {
			host = u.Host
		}
	}

	if de, is := errors.AsType[*DeniedError](err); is {
		return fmt.Sprintf("%s is not an allowed destination: airlock only contacts the hosts it is configured for", de.Host), true
	}
	if pe, is := errors.AsType[*ProxyError](err); is {
		return explainProxy(pe), true
	}

	if _, is := errors.AsType[x509.UnknownAuthorityError](err); is {
		return "the server's certificate is signed by an authority this machine does not trust: supply your internal CA certificate (PEM)", true
	}
	if he, is := errors.AsType[x509.HostnameError](err); is {
		return fmt.Sprintf("the server's certificate is not valid for %s (%v): use the host name the certificate was issued for, or have the certificate reissued", he.Host, he), true
	}
	if ce, is := errors.AsType[x509.CertificateInvalidError](err); is {
		switch ce.Reason {
		case x509.Expired:
			return "the server's certificate has expired or is not yet valid: renew it, or check this machine's clock", true
		case x509.NotAuthorizedToSign, x509.CANotAuthorizedForThisName, x509.TooManyIntermediates, x509.NameConstraintsWithoutSANs:
			return fmt.Sprintf("the server's certificate chain is not acceptable (%v): check the CA certificate and the server's chain", ce), true
		}
		return fmt.Sprintf("the server's certificate is not acceptable (%v)", ce), true
	}
	if _, is := errors.AsType[tls.RecordHeaderError](err); is {
		return fmt.Sprintf("%s did not answer with TLS: if it serves plain HTTP use an http:// URL, otherwise check the port", orServer(host)), true
	}

	if dnsErr, is := errors.AsType[*net.DNSError](err); is {
		name := dnsErr.Name
		if name == "" {
			name = host
		}
		what := name
		if dial, isDial := errors.AsType[*DialError](err); isDial && dial.Proxy {
			what = "the proxy " + name
		}
		if dnsErr.IsTimeout {
			return fmt.Sprintf("looking up %s timed out: check this machine's DNS servers", what), true
		}
		return fmt.Sprintf("cannot resolve %s: check the URL and this machine's DNS", what), true
	}

	if dial, is := errors.AsType[*DialError](err); is {
		what := dial.Addr
		if dial.Proxy {
			what = "the proxy " + dial.Addr
		}
		switch {
		case errors.Is(err, syscall.ECONNREFUSED):
			return fmt.Sprintf("%s refused the connection: check the port in the URL and that the service is running there", what), true
		case isTimeout(dial.Err):
			return fmt.Sprintf("connecting to %s timed out after %s: a firewall may be dropping the traffic; check the URL, the proxy settings and NO_PROXY", what, dial.Timeout), true
		case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
			return fmt.Sprintf("%s is unreachable from this machine: check routing, the proxy settings and NO_PROXY", what), true
		}
		return fmt.Sprintf("cannot connect to %s (%v)", what, dial.Err), true
	}

	// net/http reports these with unexported types or plain strings; their
	// messages are stable and are all there is to go on.
	msg := err.Error()
	switch {
	case strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		return fmt.Sprintf("%s did not answer with TLS: if it serves plain HTTP use an http:// URL, otherwise check the port", orServer(host)), true
	case strings.Contains(msg, "TLS handshake timeout"):
		return fmt.Sprintf("the TLS handshake with %s timed out: something between this machine and the server (a proxy or a firewall inspecting TLS) may be holding the connection", orServer(host)), true
	case strings.Contains(msg, "timeout awaiting response headers"):
		return fmt.Sprintf("%s accepted the connection but sent no answer in time: the server may be overloaded, or a proxy may be holding the request", orServer(host)), true
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("the request to %s did not finish in the time allowed", orServer(host)), true
	}
	if errors.Is(err, syscall.ECONNRESET) {
		return fmt.Sprintf("the connection to %s was reset: a firewall or proxy may be interfering", orServer(host)), true
	}
	return "", false
}

func explainProxy(pe *ProxyError) string {
	switch pe.StatusCode {
	case http.StatusProxyAuthRequired:
		return fmt.Sprintf("the proxy %s requires authentication (%s): put the user and password in the proxy URL (http://user:password@proxy:port)", pe.Proxy, pe.Status)
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return fmt.Sprintf("the proxy %s refused to connect to %s (%s): if %s is internal, add it to NO_PROXY", pe.Proxy, pe.Target, pe.Status, targetHost(pe.Target))
	case http.StatusForbidden:
		return fmt.Sprintf("the proxy %s does not allow connections to %s (%s): ask its administrators to allow it, or if %s is internal, add it to NO_PROXY", pe.Proxy, pe.Target, pe.Status, targetHost(pe.Target))
	}
	return fmt.Sprintf("the proxy %s answered %s when asked to connect to %s: check the proxy settings", pe.Proxy, pe.Status, pe.Target)
}

func targetHost(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

func orServer(host string) string {
	if host == "" {
		return "the server"
	}
	return host
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.ETIMEDOUT) {
		return true
	}
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
