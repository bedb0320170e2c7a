package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/airlock-sec/airlock/internal/netx"
	"github.com/airlock-sec/airlock/internal/store"
)

type metrics struct {
	requests       *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	webhooks       *prometheus.CounterVec
	webhookLatency prometheus.Histogram
	egressRefused  *prometheus.CounterVec
	ingestBatch    prometheus.Histogram
}

func newMetrics(reg *prometheus.Registry, st *store.Store, version string) *metrics {
	m := &metrics{
		requests:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "airlock_http_requests_total", Help: "HTTP requests by route, method and status code."}, []string{"route", "method", "code"}),
		duration:       prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "airlock_http_request_duration_seconds", Help: "HTTP request latency by route.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}, []string{"route"}),
		webhooks:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "airlock_webhook_deliveries_total", Help: "GitLab webhook deliveries by event and outcome (accepted, duplicate, rejected, error)."}, []string{"event", "outcome"}),
		webhookLatency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "airlock_webhook_ingest_seconds", Help: "Time to verify, store and enqueue a webhook delivery.", Buckets: prometheus.ExponentialBuckets(0.0002, 2, 16)}),
		egressRefused:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "airlock_egress_refused_total", Help: "Outbound connections refused because the destination is not a configured GitLab instance, mirror or agent route."}, []string{"destination"}),
		ingestBatch:    prometheus.NewHistogram(prometheus.HistogramOpts{Name: "airlock_webhook_ingest_batch_size", Help: "Deliveries committed together by the webhook receiver's group commit.", Buckets: prometheus.ExponentialBuckets(1, 2, 10)}),
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{Name: "airlock_build_info", Help: "Always 1; labels describe the build.", ConstLabels: prometheus.Labels{"version": version, "database": string(st.Dialect())}})
	build.Set(1)
	reg.MustRegister(m.requests, m.duration, m.webhooks, m.webhookLatency, m.egressRefused, m.ingestBatch, build, &dbCollector{st: st})
	return m
}

func (m *metrics) webhook(event, outcome string) {
	if event == "" {
		event = "none"
	}
	m.webhooks.WithLabelValues(event, outcome).Inc()
}

// instrument counts and times requests by route pattern (never by raw
// path, which would make a label per ID).
func (s *Server) instrument(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(sw, r)
		s.metrics.requests.WithLabelValues(route, r.Method, strconv.Itoa(sw.code)).Inc()
		s.metrics.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// dbCollector reports queue depth and scan outcomes from the database at
// scrape time.
type dbCollector struct{ st *store.Store }

var (
	jobsDesc  = prometheus.NewDesc("airlock_jobs", "River jobs by kind and state.", []string{"kind", "state"}, nil)
	scansDesc = prometheus.NewDesc("airlock_scans", "Scans by status.", []string{"status"}, nil)
)

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- jobsDesc
	ch <- scansDesc
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c.gauge(ctx, ch, jobsDesc, `SELECT kind, state, COUNT(*) FROM river_job GROUP BY kind, state`, 2)
	c.gauge(ctx, ch, scansDesc, `SELECT status, COUNT(*) FROM scan GROUP BY status`, 1)
}

func (c *dbCollector) gauge(ctx context.Context, ch chan<- prometheus.Metric, d *prometheus.Desc, query string, labels int) {
	rows, err := c.st.DB().QueryContext(ctx, query)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(d, err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		vals := make([]string, labels)
		var n float64
		dest := []any{}
		for i := range vals {
			dest = append(dest, &vals[i])
		}
		dest = append(dest, &n)
		if err := rows.Scan(dest...); err != nil {
			ch <- prometheus.NewInvalidMetric(d, err)
			return
		}
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, n, vals...)
	}
}

// ObserveEgress is given to netx.Observe: a refused outbound connection is
// logged and counted (airlock_egress_refused_total).
func (s *Server) ObserveEgress(d netx.Dial) {
	if !d.Denied {
		return
	}
	s.metrics.egressRefused.WithLabelValues(d.Addr).Inc()
	s.log.Warn("outbound connection refused: the destination is not a configured GitLab instance, mirror or agent route", "destination", d.Addr)
}
