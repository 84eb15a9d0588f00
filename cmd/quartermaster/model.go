package main

import (
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/quartermaster-ops/quartermaster/bot/app"
	"github.com/quartermaster-ops/quartermaster/bot/config"
	"github.com/quartermaster-ops/quartermaster/bot/llm"
	"github.com/quartermaster-ops/quartermaster/store"
)

// words is what the commands that write for people (ask, brief) open:
// the policy, a logger, the store and the model, if any.
type words struct {
	cfg   config.Config
	log   *slog.Logger
	st    *store.Store
	model *llm.Client // nil: templates and the parser write
}

// openWords opens what command needs; without says on stderr who writes
// when no model is configured. Call done when finished.
func (g *globals) openWords(cmd *cobra.Command, command, without string) (w words, done func(), err error) {
	if w.cfg, err = g.load(); err != nil {
		return w, nil, err
	}
	if w.log, err = g.logger(); err != nil {
		return w, nil, err
	}
	if w.st, done, err = openStore(cmd, g); err != nil {
		return w, nil, err
	}
	if w.model, err = g.model(w.cfg, w.log, command, without); err != nil {
		done()
		return w, nil, err
	}
	return w, done, nil
}

// model is the language model the environment configures, or nil when it
// configures none; then it says on stderr who writes instead (without).
// A half-configured endpoint is an error, not a silent fallback.
func (g *globals) model(cfg config.Config, log *slog.Logger, command, without string) (*llm.Client, error) {
	env := g.env()
	if !llm.Configured(env) {
		fmt.Fprintf(g.stderr, "%s: no LLM endpoint is configured; %s\n", command, without)
		return nil, nil
	}
	return llm.New(env, app.LLMOptions(cfg, nil, log))
}
