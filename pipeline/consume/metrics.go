package consume

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the consumer's Prometheus series.
type Metrics struct {
	Consumed    *prometheus.CounterVec
	Quarantined *prometheus.CounterVec
	Errors      *prometheus.CounterVec
	Duplicates  prometheus.Counter
	Failed      prometheus.Counter
	Deferred    prometheus.Counter
	Claimed     prometheus.Counter
	Batch       prometheus.Histogram
	Age         prometheus.Histogram
}

// NewMetrics creates the series and registers them with reg (nil: none).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Consumed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qm_events_consumed_total", Help: "Events applied to state, by type.",
		}, []string{"type"}),
		Quarantined: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qm_events_quarantined_total", Help: "Events refused and quarantined, by reason.",
		}, []string{"reason"}),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qm_consumer_errors_total", Help: "Interruptions of the event consumer (Redis errors), by stage.",
		}, []string{"stage"}),
		Duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "qm_events_duplicate_total", Help: "Events ignored because their id was already applied.",
		}),
		Failed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "qm_events_failed_total", Help: "Events whose apply failed and were left pending for retry.",
		}),
		Deferred: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "qm_events_deferred_total", Help: "Events with a missing reference left pending for a retry, because another replica may be applying it.",
		}),
		Claimed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "qm_events_claimed_total", Help: "Pending events claimed from other consumers.",
		}),
		Batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "qm_batch_duration_seconds", Help: "Time to process and acknowledge one batch.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}),
		Age: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "qm_event_processing_latency_seconds", Help: "Time from an event's arrival on the stream to its acknowledgement.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 18),
		}),
	}
	if reg != nil {
		reg.MustRegister(m.Consumed, m.Quarantined, m.Errors, m.Duplicates, m.Failed, m.Deferred, m.Claimed, m.Batch, m.Age)
	}
	return m
}
