package tunnel

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// webhookPath is the only path the webhook relay accepts.
var webhookPath = regexp.MustCompile(`^/webhooks/gitlab/[0-9]+$`)

// maxWebhookBody bounds one delivery (GitLab's push payloads list at most
// 20 commits).
const maxWebhookBody = 25 << 20

// webhookHeaders are passed on to the server; nothing else is.
var webhookHeaders = []string{"Content-Type", "User-Agent", "X-Gitlab-Event", "X-Gitlab-Token", "X-Gitlab-Event-Uuid", "X-Gitlab-Webhook-Uuid", "X-Gitlab-Instance", "Idempotency-Key"}

// WebhookRelay is the handler of airlock agent --listen: GitLab, which
// cannot reach the server, delivers its webhooks to the agent, which
// passes each on to the server's receiver (an outbound HTTPS request on
// the server leg) and answers with the server's status. The server checks
// the token and de-duplicates as for a direct delivery.
func (a *Agent) WebhookRelay() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := auditRecord{RequestID: newID(), Method: r.Method, Path: r.URL.EscapedPath(), Outcome: "webhook"}
		defer func() {
			rec.Time = start.UTC().Format(time.RFC3339Nano)
			rec.DurationMS = time.Since(start).Milliseconds()
			a.audit(rec)
		}()
		if r.Method != http.MethodPost || !webhookPath.MatchString(r.URL.Path) {
			rec.Outcome, rec.Status = "refused", http.StatusNotFound
			http.Error(w, "only POST /webhooks/gitlab/{integration} is relayed", http.StatusNotFound)
			return
		}
		out, err := http.NewRequestWithContext(r.Context(), http.MethodPost, strings.TrimRight(a.c.Server, "/")+r.URL.Path, http.MaxBytesReader(w, r.Body, maxWebhookBody))
		if err != nil {
			rec.Outcome, rec.Status = "error", http.StatusBadRequest
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, k := range webhookHeaders {
			if v := r.Header.Get(k); v != "" {
				out.Header.Set(k, v)
			}
		}
		out.Header.Set(RequestIDHeader, rec.RequestID)
		resp, err := a.c.ServerClient.Do(out)
		if err != nil {
			rec.Outcome, rec.Status = "error", http.StatusBadGateway
			http.Error(w, "the agent cannot reach the airlock server: "+err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		rec.Status = resp.StatusCode
		rec.Bytes, _ = io.Copy(w, io.LimitReader(resp.Body, 1<<20))
	})
}
