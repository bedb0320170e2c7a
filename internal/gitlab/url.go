package gitlab

import (
	"fmt"
	"net/url"
	"strings"
)

// rootHint is how every refusal of ParseInstanceURL ends.
const rootHint = "give the instance root URL, such as https://gitlab.example.com, or https://gitlab.example.com/gitlab when GitLab is served under a relative path"

// uiRoutes are GitLab's top-level routes for its own pages: a URL whose
// first path segment is one of them was copied from a page, not the root.
var uiRoutes = map[string]bool{
	"-": true, "admin": true, "api": true, "dashboard": true, "explore": true,
	"groups": true, "help": true, "oauth": true, "profile": true, "projects": true,
	"search": true, "snippets": true, "users": true, "user_settings": true,
}

// ParseInstanceURL parses the URL of a GitLab instance: its root, scheme
// http or https, optionally with the relative path GitLab is served under
// (one segment, as in https://host/gitlab). It refuses the URLs people
// paste by mistake — a project's or group's page, a clone URL, the API URL
// — as well as credentials and query strings, with an *Error
// (CodeInvalidURL) that says what to give instead. The result has a lower
// case scheme and host and no trailing slash.
func ParseInstanceURL(s string) (*url.URL, error) {
	raw := strings.TrimSpace(s)
	if raw == "" {
		return nil, invalidURL("the GitLab URL is empty")
	}
	if !strings.Contains(raw, "://") {
		return nil, invalidURL(fmt.Sprintf("%q has no scheme", safeEcho(raw)))
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, invalidURL(fmt.Sprintf("%q is not a URL", safeEcho(raw)))
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return nil, invalidURL(fmt.Sprintf("scheme %q is not supported (GitLab's API is reached over https:// or http://)", u.Scheme))
	}
	if u.User != nil {
		return nil, invalidURL("the URL contains credentials; enter the token in its own field, never in the URL")
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return nil, invalidURL(fmt.Sprintf("%q has no host", safeEcho(raw)))
	}
	if strings.ContainsAny(u.Host, " \t") {
		return nil, invalidURL(fmt.Sprintf("%q has an invalid host", safeEcho(raw)))
	}
	if u.RawQuery != "" || u.ForceQuery {
		return nil, invalidURL("the URL has a query string (?...)")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return nil, invalidURL("the URL has a fragment (#...)")
	}

	path := strings.TrimRight(u.Path, "/")
	var segs []string
	if path != "" {
		segs = strings.Split(strings.TrimPrefix(path, "/"), "/")
	}
	for _, seg := range segs {
		switch {
		case seg == "" || seg == "." || seg == "..":
			return nil, invalidURL(fmt.Sprintf("the path %q is not a plain path", u.Path))
		case seg == "-":
			return nil, invalidURL("this is the URL of a project or group page (it contains /-/)")
		case strings.HasSuffix(strings.ToLower(seg), ".git"):
			return nil, invalidURL("this is a repository's clone URL (it ends in .git)")
		case strings.EqualFold(seg, "api"):
			return nil, invalidURL("this is the URL of GitLab's API (/api/v4); airlock adds that itself")
		}
	}
	if len(segs) > 1 {
		return nil, invalidURL(fmt.Sprintf("the path %q looks like a group or project; GitLab under a relative path has a single path segment", u.Path))
	}
	if len(segs) == 1 && uiRoutes[strings.ToLower(segs[0])] {
		return nil, invalidURL(fmt.Sprintf("the path %q is one of GitLab's pages, not the instance root", u.Path))
	}

	out := &url.URL{Scheme: scheme, Host: strings.ToLower(u.Host), Path: path}
	if strings.HasSuffix(out.Host, ":") {
		out.Host = strings.TrimSuffix(out.Host, ":")
	}
	return out, nil
}

func invalidURL(msg string) *Error {
	return &Error{Code: CodeInvalidURL, Op: "parse instance URL", Message: msg, Hint: rootHint}
}

// safeEcho returns s for an error message unless it may hold a credential.
func safeEcho(s string) string {
	if strings.Contains(s, "@") {
		return "(URL not shown: it may contain a credential)"
	}
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
