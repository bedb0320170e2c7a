package gitlab

import (
	"encoding/base64"
	"net/url"
)

// GitAuthEnv returns environment entries that make git authenticate to the
// GitLab instance with token: GIT_CONFIG_COUNT, GIT_CONFIG_KEY_0 and
// GIT_CONFIG_VALUE_0 set http.<instance>/.extraHeader to
// "Authorization: Basic base64(user:token)", user being "oauth2" for an
// OAuth token (GitLab accepts any user name with the other tokens). The
// token thus never appears in a URL, in argv or in .git/config, and the
// header is only sent to URLs under the instance.
//
// Callers build git's environment from scratch, not from os.Environ, and
// append these entries to it: an inherited GIT_CONFIG_COUNT would be
// overridden, and other inherited GIT_* variables could change what git
// does. The entries carry the token: never log them.
func GitAuthEnv(instance *url.URL, token string, kind TokenKind) []string {
	user := "airlock"
	if kind == TokenOAuth {
		user = "oauth2"
	}
	basic := base64.StdEncoding.EncodeToString([]byte(user + ":" + token))
	root := instance.Scheme + "://" + instance.Host + instance.Path + "/"
	return []string{
		"GIT_CONFIG_COUNT=1",
		"GIT_CONFIG_KEY_0=http." + root + ".extraHeader",
		"GIT_CONFIG_VALUE_0=Authorization: Basic " + basic,
	}
}

// GitAuthEnv returns GitAuthEnv's entries for this client's instance and
// token.
func (c *Client) GitAuthEnv() []string {
	return GitAuthEnv(c.base, string(*c.token), c.kind)
}
