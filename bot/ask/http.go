package ask

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
)

// Answerer answers a question; *Asker implements it.
type Answerer interface {
	Answer(ctx context.Context, q Question) (Answer, error)
}

// maxBody bounds a request to POST /v1/ask.
const maxBody = 16 << 10

// Request is the body of POST /v1/ask.
type Request struct {
	Question string `json:"question"`
	// Role is the role to answer as. The caller is a system holding the
	// API token, not a chat user with a role of their own, so it says
	// which role's view it wants; absent means no role, which sees least.
	Role string `json:"role,omitempty"`
	// User names who asked, for the log.
	User string `json:"user,omitempty"`
}

// Handler serves POST /v1/ask: a JSON Request in, the checked Answer out
// as JSON ({answer, facts, source, tools}).
//
// Every request needs "Authorization: Bearer <token>", the token of the
// machine API (QM_INGEST_TOKEN, as POST /v1/events). Only an authenticated
// caller gets to name a role: there is no anonymous access at all, and
// with token "" the endpoint answers 503, so it is never open by default.
// A system that may write events may already shape every number the bot
// computes; reading them under a role it names adds nothing it could not
// reach. Give answers to people through chat, where their role comes from
// the policy file, not from the request.
func Handler(a Answerer, token string, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			reply(w, http.StatusMethodNotAllowed, errorBody("method not allowed: use POST"))
			return
		}
		if token == "" {
			reply(w, http.StatusServiceUnavailable, errorBody("ask API disabled: set QM_INGEST_TOKEN"))
			return
		}
		scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
		if !ok || !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="quartermaster"`)
			reply(w, http.StatusUnauthorized, errorBody("missing or wrong bearer token"))
			return
		}
		var req Request
		d := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
		d.DisallowUnknownFields()
		if err := d.Decode(&req); err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				reply(w, http.StatusRequestEntityTooLarge, errorBody("body larger than 16 KiB"))
				return
			}
			reply(w, http.StatusBadRequest, errorBody("body: want {\"question\": \"...\", \"role\": \"planner\"}: "+err.Error()))
			return
		}
		if _, err := d.Token(); !errors.Is(err, io.EOF) {
			reply(w, http.StatusBadRequest, errorBody("body: one JSON object only"))
			return
		}
		if strings.TrimSpace(req.Question) == "" {
			reply(w, http.StatusBadRequest, errorBody("question is empty"))
			return
		}
		if err := CheckRole(req.Role); err != nil {
			reply(w, http.StatusBadRequest, errorBody(err.Error()))
			return
		}
		if len(req.Question) > MaxQuestion {
			reply(w, http.StatusBadRequest, errorBody("question longer than 2000 bytes"))
			return
		}
		user := req.User
		if user == "" {
			user = "api"
		}
		ans, err := a.Answer(r.Context(), Question{Text: req.Question, Role: req.Role, User: user})
		if err != nil {
			// The cause stays in the log: it may name hosts or keys.
			log.Error("ask: answer", "err", err)
			reply(w, http.StatusServiceUnavailable, errorBody("cannot answer now: try again"))
			return
		}
		reply(w, http.StatusOK, ans)
	})
}

func errorBody(msg string) map[string]string { return map[string]string{"error": msg} }

func reply(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v) // the status already tells the client
}
