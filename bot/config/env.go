package config

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
)

// Defaults for the endpoints the environment may leave unset. They live here
// so that Env holds what is in effect and Summary can say it.
const (
	DefaultOpenAIBaseURL   = "https://api.openai.com/v1"
	DefaultOpenAIModel     = "gpt-4o-mini"
	DefaultAzureAPIVersion = "2024-10-21"
)

// redacted stands in for a secret that is set. An unset secret prints as ""
// so that a dump still tells the two apart.
const redacted = "<redacted>"

// Env is the part of the settings that comes from the environment: secrets
// and endpoints, which do not belong in a policy file that is checked in or
// pasted into a ticket.
//
// Every way of printing an Env redacts its secrets: String, GoString, all
// fmt verbs (Env is a fmt.Formatter), slog (a slog.LogValuer) and JSON.
// Fields are read directly by the code that needs a secret.
type Env struct {
	RedisURL      string // REDIS_URL; empty means the embedded store
	SlackBotToken string // SLACK_BOT_TOKEN; secret
	SlackAppToken string // SLACK_APP_TOKEN; secret
	// SlackSigningSecret verifies Slack's interactivity requests in HTTP
	// mode (SLACK_SIGNING_SECRET, an extension of the contract); secret.
	SlackSigningSecret string
	SlackAPIURL        string // SLACK_API_URL; empty means Slack's own
	DiscordBotToken    string // DISCORD_BOT_TOKEN; secret
	// DiscordPublicKey verifies Discord's interactions (DISCORD_PUBLIC_KEY,
	// an extension of the contract); public, not a secret.
	DiscordPublicKey string
	// DiscordAppID and DiscordGuildID say where to register the /qm slash
	// command (DISCORD_APP_ID, DISCORD_GUILD_ID, extensions; a guild makes
	// it appear at once, none registers it globally); public.
	DiscordAppID, DiscordGuildID string
	OpenAIKey                    string // OPENAI_API_KEY; secret
	OpenAIBaseURL                string // OPENAI_BASE_URL
	OpenAIModel                  string // OPENAI_MODEL
	AzureEndpoint                string // AZURE_OPENAI_ENDPOINT
	AzureKey                     string // AZURE_OPENAI_API_KEY; secret
	AzureDeployment              string // AZURE_OPENAI_DEPLOYMENT
	AzureAPIVersion              string // AZURE_OPENAI_API_VERSION
	IngestToken                  string // QM_INGEST_TOKEN; secret
	// AskToken guards POST /v1/ask (QM_ASK_TOKEN, an extension; secret).
	// Unset, QM_INGEST_TOKEN does, so producers that can write events can
	// also read answers; set it to keep the two apart.
	AskToken string
	// ActionsWebhook receives approved actions and work items
	// (QM_ACTIONS_WEBHOOK, an extension of the contract); its password
	// and secret-looking query parameters are redacted.
	ActionsWebhook string
	ConfigPath     string // QM_CONFIG
}

// EnvFrom reads the contract's variables through getenv (os.Getenv, or a
// map's lookup in tests) and fills in the endpoint defaults.
func EnvFrom(getenv func(string) string) Env {
	e := Env{
		RedisURL:           getenv("REDIS_URL"),
		SlackBotToken:      getenv("SLACK_BOT_TOKEN"),
		SlackAppToken:      getenv("SLACK_APP_TOKEN"),
		SlackSigningSecret: getenv("SLACK_SIGNING_SECRET"),
		SlackAPIURL:        getenv("SLACK_API_URL"),
		DiscordBotToken:    getenv("DISCORD_BOT_TOKEN"),
		DiscordPublicKey:   getenv("DISCORD_PUBLIC_KEY"),
		DiscordAppID:       getenv("DISCORD_APP_ID"),
		DiscordGuildID:     getenv("DISCORD_GUILD_ID"),
		OpenAIKey:          getenv("OPENAI_API_KEY"),
		OpenAIBaseURL:      getenv("OPENAI_BASE_URL"),
		OpenAIModel:        getenv("OPENAI_MODEL"),
		AzureEndpoint:      getenv("AZURE_OPENAI_ENDPOINT"),
		AzureKey:           getenv("AZURE_OPENAI_API_KEY"),
		AzureDeployment:    getenv("AZURE_OPENAI_DEPLOYMENT"),
		AzureAPIVersion:    getenv("AZURE_OPENAI_API_VERSION"),
		IngestToken:        getenv("QM_INGEST_TOKEN"),
		AskToken:           getenv("QM_ASK_TOKEN"),
		ActionsWebhook:     getenv("QM_ACTIONS_WEBHOOK"),
		ConfigPath:         getenv("QM_CONFIG"),
	}
	if e.OpenAIBaseURL == "" {
		e.OpenAIBaseURL = DefaultOpenAIBaseURL
	}
	if e.OpenAIModel == "" {
		e.OpenAIModel = DefaultOpenAIModel
	}
	if e.AzureAPIVersion == "" {
		e.AzureAPIVersion = DefaultAzureAPIVersion
	}
	return e
}

// The language model back ends that LLM chooses between.
const (
	LLMTemplates  = "templates"
	LLMOpenAI     = "openai"
	LLMCompatible = "openai-compatible" // a base URL of its own (Ollama, vLLM) and no key
	LLMAzure      = "azure"
)

// LLM says which back end writes summaries. An Azure endpoint wins over an
// OpenAI key because it is the more deliberate setting: a stray
// OPENAI_API_KEY in a shell should not send data past a company's Azure
// tenant.
func (e Env) LLM() string {
	switch {
	case e.AzureEndpoint != "":
		return LLMAzure
	case e.OpenAIKey != "":
		return LLMOpenAI
	case e.OpenAIBaseURL != "" && !sameHost(e.OpenAIBaseURL, DefaultOpenAIBaseURL):
		return LLMCompatible
	}
	return LLMTemplates
}

// sameHost reports whether two URLs name the same host.
func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && strings.EqualFold(ua.Hostname(), ub.Hostname())
}

// Summary is one plain line per choice the environment makes, to be said
// once at start-up so that nobody has to guess why the bot talks on the
// console or writes from templates. It never includes a secret.
func (e Env) Summary() []string {
	var s []string
	if e.RedisURL == "" {
		s = append(s, "redis: embedded store (REDIS_URL unset)")
	} else {
		s = append(s, "redis: "+redactURL(e.RedisURL))
	}

	var chat []string
	if e.SlackBotToken != "" {
		slack := "slack"
		if e.SlackAPIURL != "" {
			slack += " at " + redactURL(e.SlackAPIURL)
		}
		chat = append(chat, slack)
	}
	if e.DiscordBotToken != "" {
		chat = append(chat, "discord")
	}
	if len(chat) == 0 {
		s = append(s, "chat: console (no SLACK_BOT_TOKEN or DISCORD_BOT_TOKEN)")
	} else {
		s = append(s, "chat: "+strings.Join(chat, " and "))
	}

	switch e.LLM() {
	case LLMAzure:
		line := fmt.Sprintf("llm: azure deployment %s at %s", orUnset(e.AzureDeployment), redactURL(e.AzureEndpoint))
		if e.OpenAIKey != "" {
			line += " (OPENAI_API_KEY ignored)"
		}
		s = append(s, line)
	case LLMOpenAI:
		s = append(s, fmt.Sprintf("llm: openai model %s at %s", orUnset(e.OpenAIModel), redactURL(orDefault(e.OpenAIBaseURL, DefaultOpenAIBaseURL))))
	case LLMCompatible:
		s = append(s, fmt.Sprintf("llm: openai-compatible model %s at %s, no API key", orUnset(e.OpenAIModel), redactURL(e.OpenAIBaseURL)))
	default:
		s = append(s, "llm: templates (no OPENAI_API_KEY or AZURE_OPENAI_ENDPOINT)")
	}

	if e.IngestToken == "" {
		s = append(s, "ingest API: disabled (QM_INGEST_TOKEN unset)")
	} else {
		s = append(s, "ingest API: bearer token required")
	}
	return s
}

// Validate checks the combinations the bot cannot start with. Messages name
// the variable and never repeat a secret.
func (e Env) Validate() error {
	if e.RedisURL != "" {
		u, err := url.Parse(e.RedisURL)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix") {
			return fmt.Errorf("REDIS_URL: %s, want redis://, rediss:// or unix:// URL", redactURL(e.RedisURL))
		}
	}
	for _, v := range []struct{ name, value string }{
		{"SLACK_API_URL", e.SlackAPIURL},
		{"OPENAI_BASE_URL", e.OpenAIBaseURL},
		{"AZURE_OPENAI_ENDPOINT", e.AzureEndpoint},
	} {
		if v.value == "" {
			continue
		}
		if u, err := url.Parse(v.value); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%s: %s, want an http:// or https:// URL", v.name, redactURL(v.value))
		}
	}
	if e.AzureEndpoint == "" && (e.AzureKey != "" || e.AzureDeployment != "") {
		return fmt.Errorf("AZURE_OPENAI_ENDPOINT: unset, want the endpoint to go with AZURE_OPENAI_API_KEY or AZURE_OPENAI_DEPLOYMENT")
	}
	if e.AzureEndpoint != "" && e.AzureDeployment == "" {
		return fmt.Errorf("AZURE_OPENAI_DEPLOYMENT: unset, want the deployment name to go with AZURE_OPENAI_ENDPOINT")
	}
	if e.AzureEndpoint != "" && e.AzureKey == "" {
		return fmt.Errorf("AZURE_OPENAI_API_KEY: unset, want the key to go with AZURE_OPENAI_ENDPOINT")
	}
	return nil
}

// vars is the environment as it may be shown: names in contract order and
// values with secrets redacted.
func (e Env) vars() [][2]string {
	return [][2]string{
		{"REDIS_URL", redactURL(e.RedisURL)},
		{"SLACK_BOT_TOKEN", secret(e.SlackBotToken)},
		{"SLACK_APP_TOKEN", secret(e.SlackAppToken)},
		{"SLACK_SIGNING_SECRET", secret(e.SlackSigningSecret)},
		{"SLACK_API_URL", redactURL(e.SlackAPIURL)},
		{"DISCORD_BOT_TOKEN", secret(e.DiscordBotToken)},
		{"DISCORD_PUBLIC_KEY", e.DiscordPublicKey},
		{"DISCORD_APP_ID", e.DiscordAppID},
		{"DISCORD_GUILD_ID", e.DiscordGuildID},
		{"OPENAI_API_KEY", secret(e.OpenAIKey)},
		{"OPENAI_BASE_URL", redactURL(e.OpenAIBaseURL)},
		{"OPENAI_MODEL", e.OpenAIModel},
		{"AZURE_OPENAI_ENDPOINT", redactURL(e.AzureEndpoint)},
		{"AZURE_OPENAI_API_KEY", secret(e.AzureKey)},
		{"AZURE_OPENAI_DEPLOYMENT", e.AzureDeployment},
		{"AZURE_OPENAI_API_VERSION", e.AzureAPIVersion},
		{"QM_INGEST_TOKEN", secret(e.IngestToken)},
		{"QM_ASK_TOKEN", secret(e.AskToken)},
		{"QM_ACTIONS_WEBHOOK", redactURL(e.ActionsWebhook)},
		{"QM_CONFIG", e.ConfigPath},
	}
}

// String prints the environment as NAME=value pairs on one line, secrets
// redacted.
func (e Env) String() string {
	var b strings.Builder
	for i, v := range e.vars() {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(v[0] + "=" + v[1])
	}
	return b.String()
}

// GoString serves %#v with the fields' Go names, secrets redacted.
func (e Env) GoString() string {
	r := e.redacted()
	return fmt.Sprintf("config.Env{RedisURL:%q, SlackBotToken:%q, SlackAppToken:%q, SlackSigningSecret:%q, SlackAPIURL:%q, DiscordBotToken:%q, DiscordPublicKey:%q, DiscordAppID:%q, DiscordGuildID:%q, OpenAIKey:%q, OpenAIBaseURL:%q, OpenAIModel:%q, AzureEndpoint:%q, AzureKey:%q, AzureDeployment:%q, AzureAPIVersion:%q, IngestToken:%q, AskToken:%q, ActionsWebhook:%q, ConfigPath:%q}",
		r.RedisURL, r.SlackBotToken, r.SlackAppToken, r.SlackSigningSecret, r.SlackAPIURL, r.DiscordBotToken, r.DiscordPublicKey, r.DiscordAppID, r.DiscordGuildID, r.OpenAIKey, r.OpenAIBaseURL, r.OpenAIModel,
		r.AzureEndpoint, r.AzureKey, r.AzureDeployment, r.AzureAPIVersion, r.IngestToken, r.AskToken, r.ActionsWebhook, r.ConfigPath)
}

// Format makes every fmt verb print the redacted form. String alone would
// cover %v and %s, but %d or %x on a struct print its fields raw.
func (e Env) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, e.GoString())
		return
	}
	io.WriteString(f, e.String())
}

// LogValue makes slog print the redacted form, as a group of variables.
func (e Env) LogValue() slog.Value {
	vars := e.vars()
	attrs := make([]slog.Attr, len(vars))
	for i, v := range vars {
		attrs[i] = slog.String(v[0], v[1])
	}
	return slog.GroupValue(attrs...)
}

// MarshalJSON writes the redacted form, keyed by variable name, so that a
// JSON dump such as a debug endpoint cannot leak a secret either.
func (e Env) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, v := range e.vars() {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(v[0])
		val, _ := json.Marshal(v[1])
		b.Write(k)
		b.WriteByte(':')
		b.Write(val)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// redacted is e with every secret replaced, for GoString.
func (e Env) redacted() Env {
	r := e
	r.RedisURL = redactURL(e.RedisURL)
	r.SlackBotToken = secret(e.SlackBotToken)
	r.SlackAppToken = secret(e.SlackAppToken)
	r.SlackSigningSecret = secret(e.SlackSigningSecret)
	r.SlackAPIURL = redactURL(e.SlackAPIURL)
	r.DiscordBotToken = secret(e.DiscordBotToken)
	r.OpenAIKey = secret(e.OpenAIKey)
	r.OpenAIBaseURL = redactURL(e.OpenAIBaseURL)
	r.AzureEndpoint = redactURL(e.AzureEndpoint)
	r.AzureKey = secret(e.AzureKey)
	r.IngestToken = secret(e.IngestToken)
	r.AskToken = secret(e.AskToken)
	r.ActionsWebhook = redactURL(e.ActionsWebhook)
	return r
}

func secret(s string) string {
	if s == "" {
		return ""
	}
	return redacted
}

// redactURL keeps what an operator needs to recognise an endpoint (scheme,
// host, port, path) and redacts what may be a credential: the password in
// the user info (a user name alone is redacted too, since some clients take
// it as the password), and query parameters named like secrets. A value
// that is not a URL is redacted whole, as it may be a bare secret.
func redactURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || strings.Contains(u.Opaque, "@") {
		return redacted
	}
	if u.RawQuery != "" {
		params := strings.Split(u.RawQuery, "&")
		for i, p := range params {
			k, _, _ := strings.Cut(p, "=")
			if secretParam(k) {
				params[i] = k + "=" + redacted
			}
		}
		u.RawQuery = strings.Join(params, "&") // String writes RawQuery as is
	}
	var userinfo string
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			userinfo = url.User(u.User.Username()).String() + ":" + redacted + "@"
		} else {
			userinfo = redacted + "@"
		}
		u.User = nil
	}
	out := u.String()
	if userinfo != "" {
		out = strings.Replace(out, "//", "//"+userinfo, 1)
	}
	return out
}

// secretParam reports whether a query parameter name looks like it carries a
// credential, such as Azure's api-key or a SAS sig.
func secretParam(name string) bool {
	n, err := url.QueryUnescape(name)
	if err != nil {
		n = name
	}
	n = strings.ToLower(n)
	for _, w := range []string{"pass", "token", "key", "secret", "sig", "auth", "credential"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

func orUnset(s string) string {
	if s == "" {
		return "(unset)"
	}
	return s
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
