package main

import (
	"fmt"
	"log/slog"

	"github.com/quartermaster-ops/quartermaster/bot/app"
	"github.com/quartermaster-ops/quartermaster/bot/config"
	"github.com/quartermaster-ops/quartermaster/bot/llm"
)

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
