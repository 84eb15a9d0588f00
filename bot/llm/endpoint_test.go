package llm_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/quartermaster-ops/quartermaster/bot/config"
	"github.com/quartermaster-ops/quartermaster/bot/llm"
)

func env(vars map[string]string) config.Env {
	return config.EnvFrom(func(name string) string { return vars[name] })
}

func TestEndpoints(t *testing.T) {
	for _, tc := range []struct {
		name       string
		vars       map[string]string
		configured bool
		model      string // "" when New must fail
		describe   string
		newErr     string
	}{
		{
			name:     "nothing",
			describe: "llm: none, summaries from templates (no OPENAI_API_KEY, OPENAI_BASE_URL or AZURE_OPENAI_ENDPOINT)",
			newErr:   "no endpoint",
		},
		{
			name:       "openai",
			vars:       map[string]string{"OPENAI_API_KEY": "sk-1"},
			configured: true,
			model:      config.DefaultOpenAIModel,
			describe:   "llm: openai model gpt-4o-mini at https://api.openai.com/v1",
		},
		{
			name:       "openai with model",
			vars:       map[string]string{"OPENAI_API_KEY": "sk-1", "OPENAI_MODEL": "gpt-4.1"},
			configured: true,
			model:      "gpt-4.1",
			describe:   "llm: openai model gpt-4.1 at https://api.openai.com/v1",
		},
		{
			name:     "openai base URL without key",
			vars:     map[string]string{"OPENAI_BASE_URL": "https://api.openai.com/v1"},
			describe: "llm: none, summaries from templates (no OPENAI_API_KEY, OPENAI_BASE_URL or AZURE_OPENAI_ENDPOINT)",
			newErr:   "no endpoint",
		},
		{
			name:       "ollama",
			vars:       map[string]string{"OPENAI_BASE_URL": "http://localhost:11434/v1", "OPENAI_MODEL": "llama3.1"},
			configured: true,
			model:      "llama3.1",
			describe:   "llm: openai-compatible model llama3.1 at http://localhost:11434/v1, no API key",
		},
		{
			name:       "vllm with key and secrets in the URL",
			vars:       map[string]string{"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": "https://bob:hunter2@vllm.internal/v1?token=abc"},
			configured: true,
			model:      config.DefaultOpenAIModel,
			describe:   "llm: openai-compatible model gpt-4o-mini at https://vllm.internal/v1",
		},
		{
			name:       "bad base URL",
			vars:       map[string]string{"OPENAI_BASE_URL": "localhost:11434"},
			configured: true,
			describe:   "llm: not usable: OPENAI_BASE_URL: not an http:// or https:// URL",
			newErr:     "OPENAI_BASE_URL: not an http:// or https:// URL",
		},
		{
			name:       "azure",
			vars:       map[string]string{"AZURE_OPENAI_ENDPOINT": "https://acme.openai.azure.com", "AZURE_OPENAI_API_KEY": "az-1", "AZURE_OPENAI_DEPLOYMENT": "qm-gpt4o"},
			configured: true,
			model:      "qm-gpt4o",
			describe:   "llm: azure openai deployment qm-gpt4o at https://acme.openai.azure.com, api-version 2024-10-21",
		},
		{
			name:       "azure without deployment",
			vars:       map[string]string{"AZURE_OPENAI_ENDPOINT": "https://acme.openai.azure.com", "AZURE_OPENAI_API_KEY": "az-1"},
			configured: true,
			describe:   "llm: not usable: azure openai half-configured: AZURE_OPENAI_DEPLOYMENT unset",
			newErr:     "AZURE_OPENAI_DEPLOYMENT unset",
		},
		{
			name:       "azure key alone, beside an openai key",
			vars:       map[string]string{"AZURE_OPENAI_API_KEY": "az-1", "OPENAI_API_KEY": "sk-1"},
			configured: true,
			describe:   "llm: not usable: azure openai half-configured: AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_DEPLOYMENT unset",
			newErr:     "AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_DEPLOYMENT unset",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := env(tc.vars)
			if got := llm.Configured(e); got != tc.configured {
				t.Errorf("Configured = %v, want %v", got, tc.configured)
			}
			if got := llm.Describe(e); got != tc.describe {
				t.Errorf("Describe =\n%q, want\n%q", got, tc.describe)
			}
			c, err := llm.New(e, llm.Options{})
			if tc.model == "" {
				if err == nil || !strings.Contains(err.Error(), tc.newErr) {
					t.Errorf("New error = %v, want one containing %q", err, tc.newErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Model() != tc.model {
				t.Errorf("Model = %q, want %q", c.Model(), tc.model)
			}
			for _, secret := range []string{"sk-1", "az-1", "hunter2", "abc"} {
				if strings.Contains(llm.Describe(e), secret) {
					t.Errorf("Describe shows %q", secret)
				}
			}
		})
	}
}

// Describe is the line to say at start-up; Configured decides whether to
// build a client at all.
func ExampleDescribe() {
	for _, vars := range []map[string]string{
		{},
		{"OPENAI_API_KEY": "sk-…"},
		{"OPENAI_BASE_URL": "http://localhost:11434/v1", "OPENAI_MODEL": "llama3.1"},
		{"AZURE_OPENAI_ENDPOINT": "https://acme.openai.azure.com", "AZURE_OPENAI_API_KEY": "…", "AZURE_OPENAI_DEPLOYMENT": "qm-gpt4o"},
		{"AZURE_OPENAI_ENDPOINT": "https://acme.openai.azure.com", "AZURE_OPENAI_API_KEY": "…"},
	} {
		e := env(vars)
		fmt.Println(llm.Configured(e), llm.Describe(e))
	}
	// Output:
	// false llm: none, summaries from templates (no OPENAI_API_KEY, OPENAI_BASE_URL or AZURE_OPENAI_ENDPOINT)
	// true llm: openai model gpt-4o-mini at https://api.openai.com/v1
	// true llm: openai-compatible model llama3.1 at http://localhost:11434/v1, no API key
	// true llm: azure openai deployment qm-gpt4o at https://acme.openai.azure.com, api-version 2024-10-21
	// true llm: not usable: azure openai half-configured: AZURE_OPENAI_DEPLOYMENT unset
}
