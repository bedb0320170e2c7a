package server

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/tunnel"
)

// AgentKeyPrefix starts every agent key, so that a leaked one is
// recognisable.
const AgentKeyPrefix = "alka_"

var poolName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// AgentAuthenticator is the hub's Authenticate: an agent key, as
// stored, gives its pool.
func AgentAuthenticator(st *store.Store, now func() time.Time) func(ctx context.Context, key string) (string, error) {
	return func(ctx context.Context, key string) (string, error) {
		k, err := st.AgentKeyByHash(ctx, HashToken(key), now())
		if errors.Is(err, store.ErrNotFound) {
			return "", errors.New("unknown or revoked key")
		}
		if err != nil {
			return "", err
		}
		return k.Pool, nil
	}
}

func (s *Server) agentConnect(w http.ResponseWriter, r *http.Request) {
	if s.c.Agents == nil {
		writeError(w, http.StatusServiceUnavailable, apiError{Code: "agents_unavailable", Message: "this process does not accept agents", Hint: "point the agent at airlock serve, not a worker"})
		return
	}
	s.c.Agents.ServeHTTP(w, r)
}

type agentKeyRequest struct {
	Pool string `json:"pool"`
}

func (s *Server) createAgentKey(w http.ResponseWriter, r *http.Request, p principal) {
	var req agentKeyRequest
	if err := decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	req.Pool = strings.TrimSpace(req.Pool)
	if !poolName.MatchString(req.Pool) {
		s.fail(w, r, apiError{Code: "invalid_field", Field: "pool", Message: fmt.Sprintf("pool %q: give a name of letters, digits, '.', '_' or '-' (dc1, eu-west)", req.Pool)})
		return
	}
	b := make([]byte, 20)
	rand.Read(b)
	key := AgentKeyPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	var k store.AgentKey
	err := s.c.Store.InTx(r.Context(), func(tx *store.Tx) error {
		var err error
		if k, err = tx.CreateAgentKey(r.Context(), req.Pool, HashToken(key), key[:len(AgentKeyPrefix)+4], s.c.Now()); err != nil {
			return err
		}
		return tx.Audit(r.Context(), store.AuditEntry{At: s.c.Now(), Actor: p.actor(), Action: "agent_key.create", Target: fmt.Sprintf("agent_key:%d", k.ID), Detail: k.Pool})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": k.ID, "pool": k.Pool, "key": key, "prefix": k.Prefix, "created_at": k.CreatedAt, "note": "the key is shown only now: give it to the agent (--key or AIRLOCK_AGENT_KEY)"})
}

func (s *Server) listAgentKeys(w http.ResponseWriter, r *http.Request, _ principal) {
	keys, err := s.c.Store.AgentKeys(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, keys)
}

func (s *Server) deleteAgentKey(w http.ResponseWriter, r *http.Request, p principal) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	err = s.c.Store.InTx(r.Context(), func(tx *store.Tx) error {
		if err := tx.DeleteAgentKey(r.Context(), id); err != nil {
			return err
		}
		return tx.Audit(r.Context(), store.AuditEntry{At: s.c.Now(), Actor: p.actor(), Action: "agent_key.revoke", Target: fmt.Sprintf("agent_key:%d", id)})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// listIntegrationAgents lists the agents connected for an integration's
// pool.
func (s *Server) listIntegrationAgents(w http.ResponseWriter, r *http.Request, _ principal) {
	in, ok := s.integration(w, r)
	if !ok {
		return
	}
	agents := []tunnel.AgentInfo{}
	if s.c.Agents != nil && in.ViaAgent {
		agents = s.c.Agents.Agents(in.AgentPool)
	}
	writeJSON(w, http.StatusOK, agents)
}
