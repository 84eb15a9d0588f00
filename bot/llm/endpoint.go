package llm

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/quartermaster-ops/quartermaster/bot/config"
)

// endpoint is what the environment chooses: which API, where, which model.
type endpoint struct {
	azure   bool
	baseURL string
	key     string
	model   string // the OpenAI model, or the Azure deployment
	version string // Azure's api-version
}

// Configured reports whether env names a language model endpoint:
//
//   - Azure OpenAI, when any of AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY
//     or AZURE_OPENAI_DEPLOYMENT is set;
//   - OpenAI, when OPENAI_API_KEY is set (at OPENAI_BASE_URL, default
//     api.openai.com);
//   - an OpenAI-compatible server that needs no key (Ollama, vLLM), when
//     OPENAI_BASE_URL names a host other than api.openai.com.
//
// A half-configured Azure counts as configured, so that New reports what
// is missing instead of the bot quietly writing from templates.
func Configured(env config.Env) bool {
	if env.AzureEndpoint != "" || env.AzureKey != "" || env.AzureDeployment != "" {
		return true
	}
	return env.OpenAIKey != "" || keyless(env.OpenAIBaseURL)
}

// keyless reports whether base names a server other than OpenAI's own,
// which may be used without a key.
func keyless(base string) bool {
	if base == "" {
		return false
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return true // named, if badly: New says what is wrong with it
	}
	return !strings.EqualFold(u.Hostname(), "api.openai.com")
}

// Describe says in one line, without secrets, which endpoint env names
// and which model it uses, for the start-up summary. A configuration New
// refuses is described with the reason.
func Describe(env config.Env) string {
	if !Configured(env) {
		return "llm: none, summaries from templates (no OPENAI_API_KEY, OPENAI_BASE_URL or AZURE_OPENAI_ENDPOINT)"
	}
	ep, err := resolve(env)
	if err != nil {
		return "llm: not usable: " + err.Error()
	}
	switch {
	case ep.azure:
		return fmt.Sprintf("llm: azure openai deployment %s at %s, api-version %s", ep.model, showURL(ep.baseURL), ep.version)
	case ep.key == "":
		return fmt.Sprintf("llm: openai-compatible model %s at %s, no API key", ep.model, showURL(ep.baseURL))
	case keyless(ep.baseURL):
		return fmt.Sprintf("llm: openai-compatible model %s at %s", ep.model, showURL(ep.baseURL))
	}
	return fmt.Sprintf("llm: openai model %s at %s", ep.model, showURL(ep.baseURL))
}

// resolve picks the endpoint env names. Azure wins over OpenAI, as in
// config.Env.LLM: a stray OPENAI_API_KEY must not send data past a
// company's Azure tenant. Messages name the variable, never a secret.
func resolve(env config.Env) (endpoint, error) {
	if env.AzureEndpoint != "" || env.AzureKey != "" || env.AzureDeployment != "" {
		var missing []string
		for _, v := range []struct{ name, value string }{
			{"AZURE_OPENAI_ENDPOINT", env.AzureEndpoint},
			{"AZURE_OPENAI_API_KEY", env.AzureKey},
			{"AZURE_OPENAI_DEPLOYMENT", env.AzureDeployment},
		} {
			if v.value == "" {
				missing = append(missing, v.name)
			}
		}
		if len(missing) > 0 {
			return endpoint{}, fmt.Errorf("azure openai half-configured: %s unset", strings.Join(missing, " and "))
		}
		if err := checkURL("AZURE_OPENAI_ENDPOINT", env.AzureEndpoint); err != nil {
			return endpoint{}, err
		}
		version := env.AzureAPIVersion
		if version == "" {
			version = config.DefaultAzureAPIVersion
		}
		return endpoint{azure: true, baseURL: env.AzureEndpoint, key: env.AzureKey, model: env.AzureDeployment, version: version}, nil
	}

	base := env.OpenAIBaseURL
	if base == "" {
		base = config.DefaultOpenAIBaseURL
	}
	if env.OpenAIKey == "" && !keyless(base) {
		return endpoint{}, errors.New("no endpoint: set OPENAI_API_KEY, OPENAI_BASE_URL (for a server without keys) or AZURE_OPENAI_ENDPOINT")
	}
	if err := checkURL("OPENAI_BASE_URL", base); err != nil {
		return endpoint{}, err
	}
	model := env.OpenAIModel
	if model == "" {
		model = config.DefaultOpenAIModel
	}
	return endpoint{baseURL: base, key: env.OpenAIKey, model: model}, nil
}

func checkURL(name, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s: not an http:// or https:// URL", name)
	}
	return nil
}

// showURL is s with what may carry a credential left out: user info, query
// and fragment.
func showURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(invalid URL)"
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment = nil, "", false, ""
	return u.String()
}
