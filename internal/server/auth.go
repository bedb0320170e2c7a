package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/airlock-sec/airlock/internal/store"
)

// TokenPrefix starts every airlock API token, so that secret scanners
// (airlock's own included) can recognise one.
const TokenPrefix = "alk_"

// NewToken makes a random API token: the prefix and 160 random bits.
func NewToken() string {
	b := make([]byte, 20)
	rand.Read(b)
	return TokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// HashToken is how a token is stored.
func HashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

func displayPrefix(tok string) string {
	if len(tok) > 8 {
		return tok[:8]
	}
	return tok
}

// principal is who is calling.
type principal struct {
	TokenID int64
	Name    string
	Role    store.Role
}

func (p principal) actor() string { return fmt.Sprintf("token:%d (%s)", p.TokenID, p.Name) }

// Bootstrap makes sure an admin can get in. With envToken (the value of
// AIRLOCK_ADMIN_TOKEN) it registers that token as an admin token unless
// it is registered already; otherwise, when there is no admin token at
// all, it creates one and returns it so that the caller prints it once.
func Bootstrap(ctx context.Context, st *store.Store, envToken string, now time.Time) (created string, err error) {
	if envToken != "" {
		if len(envToken) < 20 {
			return "", errors.New("AIRLOCK_ADMIN_TOKEN must be at least 20 characters: generate one with 'openssl rand -hex 24'")
		}
		if _, err := st.TokenByHash(ctx, HashToken(envToken)); err == nil {
			return "", nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return "", err
		}
		_, err := st.CreateToken(ctx, "admin (AIRLOCK_ADMIN_TOKEN)", store.RoleAdmin, HashToken(envToken), displayPrefix(envToken), now)
		return "", err
	}
	n, err := st.CountTokens(ctx, store.RoleAdmin)
	if err != nil || n > 0 {
		return "", err
	}
	tok := NewToken()
	if _, err := st.CreateToken(ctx, "admin (first start)", store.RoleAdmin, HashToken(tok), displayPrefix(tok), now); err != nil {
		return "", err
	}
	return tok, nil
}

// authenticated checks the bearer token and the role before h runs.
func (s *Server) authenticated(need store.Role, h func(http.ResponseWriter, *http.Request, principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := bearer(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="airlock"`)
			writeError(w, http.StatusUnauthorized, apiError{Code: "unauthorized", Message: "an API token is required: send 'Authorization: Bearer <token>'"})
			return
		}
		t, err := s.c.Store.TokenByHash(r.Context(), HashToken(tok))
		if errors.Is(err, store.ErrNotFound) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="airlock", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, apiError{Code: "unauthorized", Message: "the API token is not valid (unknown or deleted)"})
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if need == store.RoleAdmin && t.Role != store.RoleAdmin {
			writeError(w, http.StatusForbidden, apiError{Code: "forbidden", Message: "this needs an admin token; this token is a viewer's"})
			return
		}
		s.touch(r.Context(), t.ID)
		h(w, r, principal{TokenID: t.ID, Name: t.Name, Role: t.Role})
	}
}

// touch records a token's use at most once a minute, without a write per
// request.
func (s *Server) touch(ctx context.Context, id int64) {
	now := s.c.Now()
	s.touchedMu.Lock()
	last, ok := s.touched[id]
	if ok && now.Sub(last) < time.Minute {
		s.touchedMu.Unlock()
		return
	}
	s.touched[id] = now
	s.touchedMu.Unlock()
	if err := s.c.Store.TouchToken(ctx, id, now); err != nil {
		s.log.WarnContext(ctx, "token use not recorded", "token_id", id, "error", err.Error())
	}
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, p principal) {
	writeJSON(w, http.StatusOK, map[string]any{"token_id": p.TokenID, "name": p.Name, "role": p.Role})
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, _ principal) {
	ts, err := s.c.Store.Tokens(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page[store.APIToken]{Items: ts})
}

type createTokenRequest struct {
	Name string     `json:"name"`
	Role store.Role `json:"role"`
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, p principal) {
	var req createTokenRequest
	if err := decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if strings.TrimSpace(req.Name) == "" {
		s.fail(w, r, apiError{Code: "invalid_field", Field: "name", Message: "name is required: say who or what uses the token"})
		return
	}
	if !req.Role.Valid() {
		s.fail(w, r, apiError{Code: "invalid_field", Field: "role", Message: fmt.Sprintf("role %q is not one of admin, viewer", req.Role)})
		return
	}
	tok := NewToken()
	var t store.APIToken
	err := s.c.Store.InTx(r.Context(), func(tx *store.Tx) error {
		var err error
		if t, err = tx.CreateToken(r.Context(), req.Name, req.Role, HashToken(tok), displayPrefix(tok), s.c.Now()); err != nil {
			return err
		}
		return tx.Audit(r.Context(), store.AuditEntry{At: s.c.Now(), Actor: p.actor(), Action: "token.create", Target: fmt.Sprintf("token:%d", t.ID), Detail: string(req.Role)})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": tok, "id": t.ID, "name": t.Name, "role": t.Role, "prefix": t.Prefix, "created_at": t.CreatedAt, "note": "the token is shown only now: store it"})
}

func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request, p principal) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	err = s.c.Store.InTx(r.Context(), func(tx *store.Tx) error {
		t, err := tx.Tokens(r.Context())
		if err != nil {
			return err
		}
		admins, target := 0, store.APIToken{}
		for _, x := range t {
			if x.Role == store.RoleAdmin {
				admins++
			}
			if x.ID == id {
				target = x
			}
		}
		if target.ID == 0 {
			return fmt.Errorf("token %d: %w", id, store.ErrNotFound)
		}
		if target.Role == store.RoleAdmin && admins == 1 {
			return apiError{Code: "last_admin", Message: "this is the last admin token: create another admin token first"}
		}
		if err := tx.DeleteToken(r.Context(), id); err != nil {
			return err
		}
		return tx.Audit(r.Context(), store.AuditEntry{At: s.c.Now(), Actor: p.actor(), Action: "token.delete", Target: fmt.Sprintf("token:%d", id)})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) auditLog(w http.ResponseWriter, r *http.Request, _ principal) {
	limit, err := queryInt(r, "limit", 100, 1000)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	before, err := queryInt(r, "before", 0, 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	es, err := s.c.Store.AuditLog(r.Context(), int(limit), before)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page[store.AuditEntry]{Items: es})
}
