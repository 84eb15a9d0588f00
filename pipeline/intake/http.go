package intake

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/quartermaster-ops/quartermaster/pipeline/event"
)

// Request limits of POST /v1/events. A client with more splits its batch.
const (
	DefaultMaxBodyBytes = 10 << 20
	DefaultMaxEvents    = 10_000
)

// Option configures the handler returned by NewHandler.
type Option func(*handler)

// WithClock sets the clock against which the courtesy check judges a future
// occurred_at. The default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(h *handler) { h.now = now }
}

// WithRegisterer registers the handler's metrics with r. Without it the
// metrics are counted but not exported. Registering twice with the same r
// (two handlers) shares the counters.
func WithRegisterer(r prometheus.Registerer) Option {
	return func(h *handler) { h.reg = r }
}

// WithMaxBodyBytes sets the largest request body; a larger one is answered
// 413. The default is DefaultMaxBodyBytes.
func WithMaxBodyBytes(n int64) Option {
	return func(h *handler) { h.maxBody = n }
}

// WithMaxEvents sets the most events one request may carry; more is
// answered 413. The default is DefaultMaxEvents.
func WithMaxEvents(n int) Option {
	return func(h *handler) { h.maxEvents = n }
}

// WithLogger sets where the handler logs append failures, whose cause it
// does not tell the client. The default is slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(h *handler) { h.log = l }
}

type handler struct {
	appender  Appender
	tokenHash [sha256.Size]byte
	enabled   bool
	now       func() time.Time
	reg       prometheus.Registerer
	maxBody   int64
	maxEvents int
	log       *slog.Logger

	requests *prometheus.CounterVec
	events   prometheus.Counter
}

// NewHandler returns the handler of POST /v1/events, which appends a batch
// of events to the raw stream through a. Mount it at /v1/events; it answers
// other methods itself.
//
// Every request needs "Authorization: Bearer <token>". With token "" the
// API is disabled and every request is answered 503, so the endpoint is
// never open by default.
//
// The body is a JSON array of event objects or NDJSON (one object per line,
// blank lines ignored), told apart by its first non-space byte, whatever the
// Content-Type says: curl and most scripts send a generic one.
//
// If any element is not a JSON object at all, the answer is 400 with the
// reasons by element (index from 0, line from 1) and nothing is appended, so
// the client can fix the batch and resend all of it without duplicates.
// Otherwise every object is appended, compacted but otherwise as sent, and
// the answer is 202 {"accepted": N, "will_quarantine": M, "reasons": {...}}.
// The will_quarantine count is a courtesy: it is what event.Decode refuses
// now, and those events are still appended, for the consumer quarantines
// them with their full records. It cannot foresee a reference to a SKU or
// site the stream does not know yet. If the append fails the answer is 503
// with Retry-After, and the client resends the whole batch; events that did
// get appended are dropped downstream as duplicates by their id.
func NewHandler(a Appender, token string, opts ...Option) http.Handler {
	h := &handler{
		appender:  a,
		enabled:   token != "",
		tokenHash: sha256.Sum256([]byte(token)),
	}
	for _, o := range opts {
		o(h)
	}
	// Defaults in one place, so a zero or nil option means the default.
	if h.now == nil {
		h.now = time.Now
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	if h.maxEvents <= 0 {
		h.maxEvents = DefaultMaxEvents
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.requests = register(h.reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "qm_intake_requests_total",
		Help: "Requests to POST /v1/events, by HTTP status code.",
	}, []string{"code"}))
	h.events = register(h.reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "qm_intake_events_total",
		Help: "Events appended to the raw stream by an intake path.",
	}, []string{"path"})).WithLabelValues("http")
	return h
}

// register registers c with reg, or returns the collector already
// registered under its name. A conflicting registration is a programming
// error and panics, as prometheus.MustRegister does.
func register(reg prometheus.Registerer, c *prometheus.CounterVec) *prometheus.CounterVec {
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err)
		if !ok {
			panic(fmt.Sprintf("intake: register metrics: %v", err))
		}
		return are.ExistingCollector.(*prometheus.CounterVec)
	}
	return c
}

// errorBody is the JSON of every answer other than 202.
type errorBody struct {
	Error    string      `json:"error"`
	Rejected []LineError `json:"rejected,omitempty"`
	// RejectedTotal counts every rejected element when Rejected is cut at
	// MaxReportedErrors.
	RejectedTotal int `json:"rejected_total,omitempty"`
}

// acceptedBody is the JSON of a 202 answer.
type acceptedBody struct {
	Accepted       int                  `json:"accepted"`
	WillQuarantine int                  `json:"will_quarantine"`
	Reasons        map[event.Reason]int `json:"reasons,omitempty"`
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.reply(w, http.StatusMethodNotAllowed, errorBody{Error: "method not allowed: use POST"})
		return
	}
	if !h.enabled {
		h.reply(w, http.StatusServiceUnavailable, errorBody{Error: "ingest API disabled: set QM_INGEST_TOKEN"})
		return
	}
	if !h.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="quartermaster"`)
		h.reply(w, http.StatusUnauthorized, errorBody{Error: "missing or wrong bearer token"})
		return
	}
	// A compressed body would otherwise come back as a confusing list of
	// invalid_json rejections.
	if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		h.reply(w, http.StatusUnsupportedMediaType, errorBody{Error: fmt.Sprintf("content encoding %q is not supported: send the body uncompressed", ce)})
		return
	}
	tooLarge := errorBody{Error: fmt.Sprintf("body larger than %d bytes: split the batch", h.maxBody)}
	if r.ContentLength > h.maxBody {
		h.reply(w, http.StatusRequestEntityTooLarge, tooLarge)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			h.reply(w, http.StatusRequestEntityTooLarge, tooLarge)
			return
		}
		h.reply(w, http.StatusBadRequest, errorBody{Error: "read body: " + err.Error()})
		return
	}

	events, rejected, total, err := h.parse(body)
	switch {
	case errors.Is(err, errTooManyEvents):
		h.reply(w, http.StatusRequestEntityTooLarge, errorBody{Error: fmt.Sprintf("more than %d events in one request: split the batch", h.maxEvents)})
		return
	case err != nil:
		// The body is in memory, so this cannot be a read error.
		h.reply(w, http.StatusBadRequest, errorBody{Error: err.Error()})
		return
	case total > 0:
		res := errorBody{
			Error:    fmt.Sprintf("%d of the events are not JSON objects; nothing was appended: fix them and resend the whole batch", total),
			Rejected: rejected,
		}
		if total > len(rejected) {
			res.RejectedTotal = total
		}
		h.reply(w, http.StatusBadRequest, res)
		return
	}

	if len(events) > 0 {
		if err := h.appender.Append(r.Context(), events); err != nil {
			// The cause stays in the log: it may name hosts or keys.
			h.log.Error("intake: append events", "events", len(events), "err", err)
			w.Header().Set("Retry-After", "1")
			h.reply(w, http.StatusServiceUnavailable, errorBody{Error: "event stream unavailable: retry the whole batch"})
			return
		}
	}
	h.events.Add(float64(len(events)))
	h.reply(w, http.StatusAccepted, h.courtesy(events))
}

// authorized compares the bearer token in constant time. Comparing hashes
// keeps the time independent of the token's length too, which
// subtle.ConstantTimeCompare alone would leak.
func (h *handler) authorized(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return subtle.ConstantTimeCompare(got[:], h.tokenHash[:]) == 1
}

var errTooManyEvents = errors.New("too many events")

// parse splits the body into compact event objects. It returns the first
// MaxReportedErrors rejections and how many there were in all; a JSON array
// whose syntax breaks is one rejection, at the element where it broke.
func (h *handler) parse(body []byte) (events [][]byte, rejected []LineError, total int, err error) {
	var src source
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return nil, nil, 0, nil
	case trimmed[0] == '[':
		src = newArraySource(bytes.NewReader(body))
	default:
		// The longest line is the whole body, which is already bounded.
		br := bufio.NewReader(bytes.NewReader(body))
		src = newLineSource(br, len(body)+1)
	}
	for n := 0; ; n++ {
		rec, err := src.next()
		if err == io.EOF {
			return events, rejected, total, nil
		}
		if n >= h.maxEvents {
			return nil, nil, 0, errTooManyEvents
		}
		if le, ok := errors.AsType[*LineError](err); ok {
			rec.err = le
		} else if err != nil {
			return nil, nil, 0, err
		}
		if rec.err != nil {
			total++
			if len(rejected) < MaxReportedErrors {
				rejected = append(rejected, *rec.err)
			}
			if err != nil { // the rest of the array cannot be read
				return events, rejected, total, nil
			}
			continue
		}
		events = append(events, rec.raw)
	}
}

// courtesy runs the consumer's validation on events that are already
// appended, so the client learns now what will be quarantined.
func (h *handler) courtesy(events [][]byte) acceptedBody {
	res := acceptedBody{Accepted: len(events)}
	now := h.now()
	for _, raw := range events {
		_, err := event.Decode(raw, now)
		if err == nil {
			continue
		}
		res.WillQuarantine++
		reason := event.ReasonInvalidJSON
		if e, ok := errors.AsType[*event.Error](err); ok {
			reason = e.Reason
		}
		if res.Reasons == nil {
			res.Reasons = make(map[event.Reason]int)
		}
		res.Reasons[reason]++
	}
	return res
}

func (h *handler) reply(w http.ResponseWriter, code int, body any) {
	h.requests.WithLabelValues(strconv.Itoa(code)).Inc()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	// The status is sent; a write error now means the client has gone.
	_ = json.NewEncoder(w).Encode(body)
}
