package app

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/quartermaster-ops/quartermaster/bot/ask"
	"github.com/quartermaster-ops/quartermaster/bot/slack"
	"github.com/quartermaster-ops/quartermaster/pipeline/intake"
	"github.com/quartermaster-ops/quartermaster/store"
)

func (a *App) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v1/events", intake.NewHandler(a.Store, a.opt.Env.IngestToken,
		intake.WithClock(a.opt.Now), intake.WithRegisterer(a.Registry), intake.WithLogger(a.opt.Log)))
	if secret := a.opt.Env.SlackSigningSecret; secret != "" {
		// Slack's interactivity in HTTP mode: button clicks on alerts.
		mux.Handle("/slack/interactions", slack.Interactions(secret, a.people.Handle, nil, a.opt.Log))
		// ask and brief answer later, through response_url; Run closes it.
		a.slackCommands = slack.Commands(secret, func(ctx context.Context, user, channel, text string) (string, error) {
			return a.people.Command(ctx, "slack", user, channel, text)
		}, nil, a.opt.Log)
		mux.Handle("/slack/commands", a.slackCommands)
		if env := a.opt.Env; env.SlackBotToken != "" {
			// Questions asked by mentioning the bot, answered in the thread.
			opts := []slack.Option{slack.WithLogger(a.opt.Log), slack.WithClock(a.opt.Now)}
			if env.SlackAPIURL != "" {
				opts = append(opts, slack.WithAPIURL(env.SlackAPIURL))
			}
			a.slackEvents = slack.Events(secret, env.SlackBotToken, a.mention, opts...)
			mux.Handle("/slack/events", a.slackEvents)
		}
	}
	if a.discord != nil {
		// Discord's interactions endpoint: button clicks on alerts and /qm.
		mux.Handle("/discord/interactions", a.discord)
	}
	// Questions over HTTP: a bearer token is required (QM_ASK_TOKEN, else
	// QM_INGEST_TOKEN), and only with it may the body name a role.
	askToken := a.opt.Env.AskToken
	if askToken == "" {
		askToken = a.opt.Env.IngestToken
	}
	mux.Handle("/v1/ask", ask.Handler(a.asker, askToken, a.opt.Log))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", a.ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.Registry, promhttp.HandlerOpts{Registry: a.Registry}))
	return mux
}

// ready answers 200 when Redis answers and the consumer is reading its
// group, 503 with the reason otherwise.
func (a *App) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.Store.Ping(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "redis unreachable"})
		return
	}
	if !a.consumer.Consuming() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "consumer not reading its group yet"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// groupCollector reports the consumer group's lag and pending count at
// scrape time, straight from Redis, so every replica reports the truth.
type groupCollector struct {
	st             *store.Store
	group          string
	lag, pend, len *prometheus.Desc
}

func newGroupCollector(st *store.Store, group string) *groupCollector {
	return &groupCollector{st: st, group: group,
		lag:  prometheus.NewDesc("qm_consumer_lag", "Events on the stream not yet delivered to the consumer group.", nil, nil),
		pend: prometheus.NewDesc("qm_consumer_pending", "Events delivered to the group and not yet acknowledged.", nil, nil),
		len:  prometheus.NewDesc("qm_events_stream_length", "Entries on the raw event stream.", nil, nil),
	}
}

func (c *groupCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.lag; ch <- c.pend; ch <- c.len }

func (c *groupCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	g, err := c.st.Group(ctx, c.group)
	if err != nil {
		return // no group yet, or Redis down: /readyz says which
	}
	ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, float64(g.Lag))
	ch <- prometheus.MustNewConstMetric(c.pend, prometheus.GaugeValue, float64(g.Pending))
	ch <- prometheus.MustNewConstMetric(c.len, prometheus.GaugeValue, float64(g.Length))
}
