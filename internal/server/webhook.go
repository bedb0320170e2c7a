package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/airlock-sec/airlock/internal/integration"
	"github.com/airlock-sec/airlock/internal/job"
	"github.com/airlock-sec/airlock/internal/store"
)

// maxWebhookBody bounds a delivery. GitLab's push payloads carry at most
// 20 commits; merge request payloads are smaller.
const maxWebhookBody = 10 << 20

// webhookSecret caches an integration as the webhook receiver last read
// it, with its opened webhook secret, keyed by the sealed form so that a
// changed secret is noticed.
type webhookSecret struct {
	sealed string
	plain  []byte
	in     store.Integration
	read   time.Time // when in was read
}

// hookIntegrationTTL is how long the webhook receiver uses an
// integration it has read without reading it again: one SELECT per
// delivery was a third of PostgreSQL's statements under load. A delete in
// this process forgets it at once (forgetSecret); another server process
// sees it within the TTL, and the delivery's job finds the integration
// gone or deleting and drops it.
const hookIntegrationTTL = time.Second

// hookIntegration reads integration id, or takes it from the cache when
// it was read within hookIntegrationTTL, and opens its webhook secret.
func (s *Server) hookIntegration(ctx context.Context, id int64) (store.Integration, []byte, error) {
	now := time.Now()
	s.secretsMu.Lock()
	c, ok := s.secrets[id]
	s.secretsMu.Unlock()
	if ok && now.Sub(c.read) < hookIntegrationTTL {
		return c.in, c.plain, nil
	}
	in, err := s.c.Store.Integration(ctx, id)
	if err != nil {
		return store.Integration{}, nil, err
	}
	plain := c.plain
	if !ok || c.sealed != string(in.WebhookSealed) {
		if plain, err = s.c.Keyring.Open(in.WebhookSealed, integration.AAD(in.ID, integration.FieldWebhook)); err != nil {
			return store.Integration{}, nil, err
		}
	}
	s.secretsMu.Lock()
	s.secrets[id] = webhookSecret{sealed: string(in.WebhookSealed), plain: plain, in: in, read: now}
	s.secretsMu.Unlock()
	return in, plain, nil
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
	in, secret, err := s.hookIntegration(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && in.DiscoveryStatus == "deleting") {
		s.metrics.webhook(event, "rejected")
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "unknown integration"})
		return
	}
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
	fresh, err := s.ingest.record(ctx, s, &e)
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

// ingestor commits webhook deliveries in groups: a delivery that arrives
// while the commits under way are as many as allowed (one on SQLite,
// which has one writer; two on PostgreSQL, measured best on two cores) waits for the next one, which
// takes every delivery then waiting (up to maxIngestBatch) in one
// transaction: their rows in one INSERT, their jobs in one InsertManyTx.
// Each delivery is answered after the commit that made it durable.
type ingestor struct {
	mu      sync.Mutex
	pending []*delivery
	busy    int // commits under way
	limit   int // commits allowed at once
}

// maxIngestBatch bounds one group commit.
const maxIngestBatch = 500

// delivery is one webhook delivery waiting for its group commit.
type delivery struct {
	e     *store.WebhookEvent
	fresh bool
	err   error
	done  chan struct{} // closed when committed (or failed)
	lead  chan struct{} // closed when this delivery's request commits the next group
	led   bool          // lead was closed
}

// record stores e once and queues its processing, durably, before it
// returns; fresh is false for a delivery already stored.
func (g *ingestor) record(ctx context.Context, s *Server, e *store.WebhookEvent) (bool, error) {
	d := &delivery{e: e, done: make(chan struct{}), lead: make(chan struct{})}
	g.mu.Lock()
	g.pending = append(g.pending, d)
	if g.busy >= max(g.limit, 1) {
		g.mu.Unlock()
		select {
		case <-d.done:
			return d.fresh, d.err
		case <-d.lead: // a finished commit handed its place to this request
		}
		g.mu.Lock()
	} else {
		g.busy++
	}
	n := min(len(g.pending), maxIngestBatch)
	batch := g.pending[:n:n]
	g.pending = g.pending[n:]
	g.mu.Unlock()

	if len(batch) > 0 {
		s.commitDeliveries(ctx, batch)
	}

	g.mu.Lock()
	handed := false
	for _, next := range g.pending {
		if !next.led {
			next.led, handed = true, true
			close(next.lead)
			break
		}
	}
	if !handed {
		g.busy--
	}
	g.mu.Unlock()
	// d may have gone with another leader's group while this request
	// waited to lead.
	<-d.done
	return d.fresh, d.err
}

func (s *Server) commitDeliveries(ctx context.Context, batch []*delivery) {
	// The group is others' too: the leading request going away must not
	// cancel it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	es := make([]*store.WebhookEvent, len(batch))
	for i, d := range batch {
		es[i] = d.e
	}
	var fresh []bool
	// One code path on both engines: the rows in one statement, then
	// their jobs. On PostgreSQL the transaction is pgx's and River's pgx
	// driver copies the jobs in (COPY, native arrays); database/sql's
	// driver would send lib/pq arrays that are encoded as text and parsed
	// again, the largest CPU cost of ingestion there.
	record := func(t interface {
		RecordEvents(context.Context, []*store.WebhookEvent) ([]bool, error)
	}, insert func([]river.InsertManyParams) error) error {
		var err error
		if fresh, err = t.RecordEvents(ctx, es); err != nil {
			return err
		}
		var params []river.InsertManyParams
		for i, e := range es {
			if fresh[i] {
				params = append(params, river.InsertManyParams{Args: job.EventArgs{EventID: e.ID}})
			}
		}
		if len(params) == 0 {
			return nil
		}
		return insert(params)
	}
	var err error
	if s.pgxJobs != nil {
		err = s.c.Store.InPgxTx(ctx, func(t store.PgxTx) error {
			return record(t, func(params []river.InsertManyParams) error {
				_, err := s.pgxJobs.InsertManyFastTx(ctx, t.Pgx(), params)
				return err
			})
		})
	} else {
		err = s.c.Store.InTx(ctx, func(t *store.Tx) error {
			return record(t, func(params []river.InsertManyParams) error {
				_, err := s.c.Jobs.InsertManyTx(ctx, t.SQL(), params)
				return err
			})
		})
	}
	s.metrics.ingestBatch.Observe(float64(len(batch)))
	for i, d := range batch {
		if err != nil {
			d.err = err
		} else {
			d.fresh = fresh[i]
		}
		close(d.done)
	}
}
