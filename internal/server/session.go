package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/airlock-sec/airlock/internal/store"
)

// The web UI's cookies: the session, and the sign-in form's CSRF token
// (a double-submit cookie, as there is no session yet).
const (
	sessionCookie   = "airlock_session"
	loginCSRFCookie = "airlock_login_csrf"
	// csrfField is the hidden field of every form.
	csrfField = "csrf_token"
)

// randomString is 32 random bytes, URL-safe.
func randomString() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// sameSecret compares two secrets in constant time; empty never matches.
func sameSecret(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// secure reports whether the request came over TLS (directly, or through
// a proxy that says so and the public URL is https).
func (s *Server) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(s.c.PublicURL, "https://")
}

func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
}

// webSession is a signed-in user of the web UI.
type webSession struct {
	store.Session
	P principal
}

// openSession exchanges an API token for a session and sets its cookie.
func (s *Server) openSession(ctx context.Context, w http.ResponseWriter, r *http.Request, token string) (webSession, error) {
	t, err := s.c.Store.TokenByHash(ctx, HashToken(strings.TrimSpace(token)))
	if errors.Is(err, store.ErrNotFound) {
		return webSession{}, apiError{Code: "unauthorized", Field: "token", Message: "the API token is not valid (unknown or deleted): ask an admin for one (POST /api/v1/tokens)"}
	}
	if err != nil {
		return webSession{}, err
	}
	cookie, now := randomString(), s.c.Now()
	var sess store.Session
	err = s.c.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if sess, err = tx.CreateSession(ctx, t.ID, HashToken(cookie), randomString(), now, now.Add(s.c.SessionTTL)); err != nil {
			return err
		}
		p := principal{TokenID: t.ID, Name: t.Name, Role: t.Role}
		return tx.Audit(ctx, store.AuditEntry{At: now, Actor: p.actor(), Action: "session.create", Target: fmt.Sprintf("session:%d", sess.ID)})
	})
	if err != nil {
		return webSession{}, err
	}
	s.setCookie(w, r, sessionCookie, cookie, 0)
	s.setCookie(w, r, loginCSRFCookie, "", -1)
	return webSession{Session: sess, P: principal{TokenID: t.ID, Name: t.Name, Role: t.Role}}, nil
}

// session finds the request's live session; ok is false without one.
func (s *Server) session(r *http.Request) (webSession, bool, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return webSession{}, false, nil
	}
	now := s.c.Now()
	sess, err := s.c.Store.SessionByHash(r.Context(), HashToken(c.Value), now)
	if errors.Is(err, store.ErrNotFound) {
		return webSession{}, false, nil
	}
	if err != nil {
		return webSession{}, false, err
	}
	if now.Sub(sess.LastSeenAt) >= time.Minute {
		if err := s.c.Store.TouchSession(r.Context(), sess.ID, now, now.Add(s.c.SessionTTL)); err != nil {
			s.log.WarnContext(r.Context(), "session use not recorded", "session_id", sess.ID, "error", err.Error())
		}
	}
	s.touch(r.Context(), sess.TokenID)
	return webSession{Session: sess, P: principal{TokenID: sess.Token.ID, Name: sess.Token.Name, Role: sess.Token.Role}}, true, nil
}

// uiHandler is a page or a form action of the web UI.
type uiHandler func(w http.ResponseWriter, r *http.Request, ws webSession)

// ui registers a web UI route: without a session a GET is sent to the
// sign-in page and anything else refused with 401; a POST without the
// session's CSRF token is refused with 403, as is an admin action for a
// viewer. UI routes are not API routes: they are not in the OpenAPI
// document.
func (s *Server) ui(pattern string, need store.Role, h uiHandler) {
	s.uiRoute(pattern, need, h, true)
}

// uiUpload is a form post whose body is a file too large to parse as a
// form first: the handler bounds the body and checks the CSRF token
// itself (uploadForm).
func (s *Server) uiUpload(pattern string, need store.Role, h uiHandler) {
	s.uiRoute(pattern, need, h, false)
}

func (s *Server) uiRoute(pattern string, need store.Role, h uiHandler, form bool) {
	_, path, _ := strings.Cut(pattern, " ")
	s.mux.Handle(pattern, s.instrument(path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		ws, ok, err := s.session(r)
		if err != nil {
			s.uiFail(w, r, nil, err)
			return
		}
		if !ok {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			http.Error(w, "sign in first: your session has expired or was revoked", http.StatusUnauthorized)
			return
		}
		if form && r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
			if !sameSecret(r.PostFormValue(csrfField), ws.CSRF) {
				http.Error(w, "the form's CSRF token is missing or not this session's: reload the page and try again", http.StatusForbidden)
				return
			}
		}
		if need == store.RoleAdmin && ws.P.Role != store.RoleAdmin {
			w.WriteHeader(http.StatusForbidden)
			s.render(w, r, "error.html", &ws, "Not allowed", uiError{Message: "this needs an admin token; you signed in with a viewer's"})
			return
		}
		h(w, r, ws)
	})))
}

// safeNext keeps a post-sign-in redirect on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w)
	s.showLogin(w, r, http.StatusOK, "")
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	tok := randomString()
	s.setCookie(w, r, loginCSRFCookie, tok, 3600)
	w.WriteHeader(status)
	s.render(w, r, "login.html", nil, "Sign in", map[string]string{"CSRF": tok, "Next": safeNext(r.FormValue("next")), "Error": msg})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w)
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	c, err := r.Cookie(loginCSRFCookie)
	if err != nil || !sameSecret(r.PostFormValue(csrfField), c.Value) {
		http.Error(w, "the sign-in form's CSRF token is missing or does not match: reload /login and try again", http.StatusForbidden)
		return
	}
	if _, err := s.openSession(r.Context(), w, r, r.PostFormValue("token")); err != nil {
		var ae apiError
		if errors.As(err, &ae) {
			s.showLogin(w, r, http.StatusUnauthorized, ae.Message)
			return
		}
		s.uiFail(w, r, nil, err)
		return
	}
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, ws webSession) {
	err := s.c.Store.InTx(r.Context(), func(tx *store.Tx) error {
		if err := tx.DeleteSession(r.Context(), ws.ID); err != nil {
			return err
		}
		return tx.Audit(r.Context(), store.AuditEntry{At: s.c.Now(), Actor: ws.P.actor(), Action: "session.delete", Target: fmt.Sprintf("session:%d", ws.ID)})
	})
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	s.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// listSessions and deleteSession are the API's view of web sessions: an
// admin sees who is signed in and revokes a session.
func (s *Server) listSessions(w http.ResponseWriter, r *http.Request, _ principal) {
	ss, err := s.c.Store.Sessions(r.Context(), s.c.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page[store.Session]{Items: ss})
}

func (s *Server) deleteSession(w http.ResponseWriter, r *http.Request, p principal) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	err = s.c.Store.InTx(r.Context(), func(tx *store.Tx) error {
		if err := tx.DeleteSession(r.Context(), id); err != nil {
			return err
		}
		return tx.Audit(r.Context(), store.AuditEntry{At: s.c.Now(), Actor: p.actor(), Action: "session.delete", Target: fmt.Sprintf("session:%d", id)})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
