package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/airlock-sec/airlock/internal/integration"
	"github.com/airlock-sec/airlock/internal/job"
	"github.com/airlock-sec/airlock/internal/store"
)

// maxWebhookBody bounds a delivery. GitLab's push payloads carry at most
// 20 commits; merge request payloads are smaller.
const maxWebhookBody = 10 << 20

// webhookSecret caches an integration's opened webhook secret, keyed by
// its sealed form so that a changed secret is noticed.
type webhookSecret struct {
	sealed string
	plain  []byte
}

func (s *Server) webhookSecret(in store.Integration) ([]byte, error) {
	s.secretsMu.Lock()
	c, ok := s.secrets[in.ID]
	s.secretsMu.Unlock()
	if ok && c.sealed == string(in.WebhookSealed) {
		return c.plain, nil
	}
	plain, err := s.c.Keyring.Open(in.WebhookSealed, integration.AAD(in.ID, integration.FieldWebhook))
	if err != nil {
		return nil, err
	}
	s.secretsMu.Lock()
	s.secrets[in.ID] = webhookSecret{sealed: string(in.WebhookSealed), plain: plain}
	s.secretsMu.Unlock()
	return plain, nil
}

func (s *Server) forgetSecret(id int64) {
	s.secretsMu.Lock()
	delete(s.secrets, id)
	s.secretsMu.Unlock()
}

// webhook receives a GitLab delivery: it checks X-Gitlab-Token in
// constant time, stores the delivery once (GitLab retries with the same
// Idempotency-Key), queues its processing in the same transaction and
// answers at once: GitLab disables hooks that fail or are slow.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	event := r.Header.Get("X-Gitlab-Event")
	id, err := strconv.ParseInt(r.PathValue("integration"), 10, 64)
	if err != nil {
		s.metrics.webhook(event, "rejected")
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "unknown integration"})
		return
	}
	ctx := r.Context()
	in, err := s.c.Store.Integration(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && in.DiscoveryStatus == "deleting") {
		s.metrics.webhook(event, "rejected")
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "unknown integration"})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	secret, err := s.webhookSecret(in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("X-Gitlab-Token")), secret) != 1 {
		s.metrics.webhook(event, "rejected")
		s.log.WarnContext(ctx, "webhook refused: wrong or missing X-Gitlab-Token", "integration_id", id, "event", event, "remote", r.RemoteAddr)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "invalid X-Gitlab-Token"})
		return
	}
	if event == "" {
		s.metrics.webhook(event, "rejected")
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "missing X-Gitlab-Event header"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		s.metrics.webhook(event, "rejected")
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"message": "payload too large or unreadable"})
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		key = r.Header.Get("X-Gitlab-Event-UUID")
	}
	if key == "" {
		sum := sha256.Sum256(body)
		key = "sha256:" + hex.EncodeToString(sum[:])
	}
	e := store.WebhookEvent{IntegrationID: id, DeliveryKey: key, Event: event, ReceivedAt: s.c.Now(), Payload: string(body)}
	var fresh bool
	err = s.c.Store.InTx(ctx, func(t *store.Tx) error {
		var err error
		if fresh, err = t.RecordEvent(ctx, &e); err != nil || !fresh {
			return err
		}
		_, err = s.c.Jobs.InsertTx(ctx, t.SQL(), job.EventArgs{EventID: e.ID}, nil)
		return err
	})
	if err != nil {
		s.metrics.webhook(event, "error")
		s.fail(w, r, err)
		return
	}
	s.metrics.webhookLatency.Observe(time.Since(start).Seconds())
	if !fresh {
		s.metrics.webhook(event, "duplicate")
		writeJSON(w, http.StatusOK, map[string]string{"status": "duplicate", "delivery": key})
		return
	}
	s.metrics.webhook(event, "accepted")
	writeJSON(w, http.StatusAccepted, map[string]any{"status": "accepted", "event_id": e.ID})
}
