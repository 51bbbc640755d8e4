package api

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the API's Prometheus series: ringfence_api_requests_total{operation,code} and
// ringfence_api_request_duration_seconds{operation}.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ringfence_api_requests_total", Help: "Connect API requests by operation and result code.",
		}, []string{"operation", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ringfence_api_request_duration_seconds", Help: "Connect API request latency.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"operation"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration)
	}
	return m
}

func (m *metrics) observe(op, code string, d time.Duration) {
	m.requests.WithLabelValues(op, code).Inc()
	m.duration.WithLabelValues(op).Observe(d.Seconds())
}
