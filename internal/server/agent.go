package server

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
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
	k, key, err := s.newAgentKey(r.Context(), req.Pool, "pool", p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": k.ID, "pool": k.Pool, "key": key, "prefix": k.Prefix, "created_at": k.CreatedAt, "note": "the key is shown only now: give it to the agent (--key or AIRLOCK_AGENT_KEY)"})
}

// newAgentKey creates a key for pool (named by field in a refusal) and
// returns it, the only time it is seen: the store keeps its hash.
func (s *Server) newAgentKey(ctx context.Context, pool, field string, p principal) (store.AgentKey, string, error) {
	pool = strings.TrimSpace(pool)
	if !poolName.MatchString(pool) {
		return store.AgentKey{}, "", apiError{Code: "invalid_field", Field: field, Message: fmt.Sprintf("pool %q: give a name of letters, digits, '.', '_' or '-' (dc1, eu-west)", pool)}
	}
	b := make([]byte, 20)
	rand.Read(b)
	key := AgentKeyPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	var k store.AgentKey
	err := s.c.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if k, err = tx.CreateAgentKey(ctx, pool, HashToken(key), key[:len(AgentKeyPrefix)+4], s.c.Now()); err != nil {
			return err
		}
		return tx.Audit(ctx, store.AuditEntry{At: s.c.Now(), Actor: p.actor(), Action: "agent_key.create", Target: fmt.Sprintf("agent_key:%d", k.ID), Detail: k.Pool})
	})
	return k, key, err
}

// AgentHelmChart is the chart's path in a checkout of airlock (and in
// the release archive), as the wizard's helm line names it.
const AgentHelmChart = "deploy/helm/airlock"

// AgentHelmLine is the command that installs an agent with the chart
// (deploy/helm/airlock, values agent.*) on the site's cluster: the
// agent alone, dialling serverURL and relaying to gitlabURL, with key.
// The deploy package's tests render the chart with exactly these
// values.
func AgentHelmLine(serverURL, gitlabURL, key string) string {
	set := func(k, v string) string {
		// helm --set splits on commas; a URL rarely has one, but escape
		// it rather than install a broken value.
		return "--set " + shellQuote(k+"="+strings.ReplaceAll(v, ",", `\,`))
	}
	return strings.Join([]string{"helm upgrade --install airlock-agent", AgentHelmChart,
		"--namespace airlock-agent --create-namespace",
		set("server.enabled", "false"), set("agent.enabled", "true"),
		set("agent.serverUrl", serverURL), set("agent.gitlabUrl", gitlabURL), set("agent.key", key)}, " ")
}

// AgentRunLine is the same agent without Kubernetes: the binary, the key
// in its environment variable.
func AgentRunLine(serverURL, gitlabURL, key string) string {
	return "AIRLOCK_AGENT_KEY=" + shellQuote(key) + " airlock agent --server " + shellQuote(serverURL) + " --gitlab-url " + shellQuote(gitlabURL)
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// letters, digits and -_.,:/=@%+.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,:/=@%+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// agentPool is a pool as the wizard shows it: its keys and the agents
// connected now.
type agentPool struct {
	Name   string
	Keys   int
	Agents []tunnel.AgentInfo
}

// agentPools lists every pool with a key or an agent connected, sorted.
func (s *Server) agentPools(ctx context.Context) ([]agentPool, error) {
	keys, err := s.c.Store.AgentKeys(ctx)
	if err != nil {
		return nil, err
	}
	n := map[string]int{}
	for _, k := range keys {
		n[k.Pool]++
	}
	if s.c.Agents != nil {
		for _, p := range s.c.Agents.Pools() {
			n[p] += 0
		}
	}
	out := []agentPool{}
	for _, name := range slices.Sorted(maps.Keys(n)) {
		p := agentPool{Name: name, Keys: n[name], Agents: []tunnel.AgentInfo{}}
		if s.c.Agents != nil {
			p.Agents = s.c.Agents.Agents(name)
		}
		out = append(out, p)
	}
	return out, nil
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
