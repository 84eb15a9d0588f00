package llm

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the client's Prometheus series. Models label them: there are
// as many as the configuration names, one or two.
type metrics struct {
	requests *prometheus.CounterVec   // qm_llm_requests_total{model,result}, one per attempt
	tokens   *prometheus.CounterVec   // qm_llm_tokens_total{model,kind}
	cost     *prometheus.CounterVec   // qm_llm_cost_usd_total{model}
	latency  *prometheus.HistogramVec // qm_llm_latency_seconds{model}
	outputs  *prometheus.CounterVec   // qm_llm_outputs_total{prompt,result}
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qm_llm_requests_total",
			Help: "Attempts at a model call, by model and result: ok, retry (failed and tried again), or the class of the final failure.",
		}, []string{"model", "result"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qm_llm_tokens_total",
			Help: "Tokens the model reported, by model and kind (prompt or completion).",
		}, []string{"model", "kind"}),
		cost: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qm_llm_cost_usd_total",
			Help: "Estimated spend in US dollars from the configured prices, by model; models without a price add nothing.",
		}, []string{"model"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "qm_llm_latency_seconds",
			Help:    "Time to answer a model call, retries included, of calls that were answered.",
			Buckets: []float64{0.25, 0.5, 1, 2, 4, 8, 15, 30, 60},
		}, []string{"model"}),
		outputs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qm_llm_outputs_total",
			Help: "Model outputs after their checks, by prompt and result (passed or rejected).",
		}, []string{"prompt", "result"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.requests, err = register(reg, m.requests); err != nil {
		return nil, err
	}
	if m.tokens, err = register(reg, m.tokens); err != nil {
		return nil, err
	}
	if m.cost, err = register(reg, m.cost); err != nil {
		return nil, err
	}
	if m.latency, err = register(reg, m.latency); err != nil {
		return nil, err
	}
	if m.outputs, err = register(reg, m.outputs); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c with reg, or returns the collector already there
// under its name, so that two clients on one registry share the series.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	if are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err); ok {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, fmt.Errorf("llm: register metrics: %w", err)
}
