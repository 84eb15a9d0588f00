package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// Secret values are distinctive so that a leak of any of them, or of a
// part of one, is found by a plain substring search.
var secretEnv = map[string]string{
	"REDIS_URL":                "redis://qmuser:redispass-s3cret@redis.internal:6379/0?password=querypass-s3cret",
	"SLACK_BOT_TOKEN":          "xoxb-slackbot-s3cret",
	"SLACK_APP_TOKEN":          "xapp-slackapp-s3cret",
	"SLACK_SIGNING_SECRET":     "signing-s3cret",
	"SLACK_API_URL":            "https://slackurluser:slackurlpass-s3cret@slack.test/api/",
	"DISCORD_BOT_TOKEN":        "discord-s3cret",
	"DISCORD_PUBLIC_KEY":       "ab12",
	"OPENAI_API_KEY":           "sk-openai-s3cret",
	"OPENAI_BASE_URL":          "https://llm.internal/v1?api-key=openaiquery-s3cret",
	"OPENAI_MODEL":             "gpt-test",
	"AZURE_OPENAI_ENDPOINT":    "https://azuretok-s3cret@example.openai.azure.com/",
	"AZURE_OPENAI_API_KEY":     "azurekey-s3cret",
	"AZURE_OPENAI_DEPLOYMENT":  "qm-deploy",
	"AZURE_OPENAI_API_VERSION": "2024-10-21",
	"QM_INGEST_TOKEN":          "ingest-s3cret",
	"QM_ASK_TOKEN":             "ask-s3cret",
	"QM_ACTIONS_WEBHOOK":       "https://hooks.example.com/qm?token=hook-s3cret",
	"QM_CONFIG":                "/etc/qm/config.yaml",
}

func lookup(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestEnvFrom(t *testing.T) {
	e := EnvFrom(lookup(secretEnv))
	want := Env{
		RedisURL:           secretEnv["REDIS_URL"],
		SlackBotToken:      secretEnv["SLACK_BOT_TOKEN"],
		SlackAppToken:      secretEnv["SLACK_APP_TOKEN"],
		SlackSigningSecret: secretEnv["SLACK_SIGNING_SECRET"],
		SlackAPIURL:        secretEnv["SLACK_API_URL"],
		DiscordBotToken:    secretEnv["DISCORD_BOT_TOKEN"],
		DiscordPublicKey:   secretEnv["DISCORD_PUBLIC_KEY"],
		OpenAIKey:          secretEnv["OPENAI_API_KEY"],
		OpenAIBaseURL:      secretEnv["OPENAI_BASE_URL"],
		OpenAIModel:        secretEnv["OPENAI_MODEL"],
		AzureEndpoint:      secretEnv["AZURE_OPENAI_ENDPOINT"],
		AzureKey:           secretEnv["AZURE_OPENAI_API_KEY"],
		AzureDeployment:    secretEnv["AZURE_OPENAI_DEPLOYMENT"],
		AzureAPIVersion:    secretEnv["AZURE_OPENAI_API_VERSION"],
		IngestToken:        secretEnv["QM_INGEST_TOKEN"],
		AskToken:           secretEnv["QM_ASK_TOKEN"],
		ActionsWebhook:     secretEnv["QM_ACTIONS_WEBHOOK"],
		ConfigPath:         secretEnv["QM_CONFIG"],
	}
	if e != want {
		t.Errorf("EnvFrom(all set) differs in %v", differentFields(e, want))
	}

	empty := EnvFrom(func(string) string { return "" })
	wantEmpty := Env{OpenAIBaseURL: DefaultOpenAIBaseURL, OpenAIModel: DefaultOpenAIModel, AzureAPIVersion: DefaultAzureAPIVersion}
	if empty != wantEmpty {
		t.Errorf("EnvFrom(none set) differs from the endpoint defaults in %v", differentFields(empty, wantEmpty))
	}
}

// differentFields names the fields in which a and b differ; Env redacts
// itself when printed, so a plain %v would hide the difference.
func differentFields(a, b Env) []string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	var names []string
	for i := range va.NumField() {
		if va.Field(i).String() != vb.Field(i).String() {
			names = append(names, fmt.Sprintf("%s (%q, want %q)", va.Type().Field(i).Name, va.Field(i).String(), vb.Field(i).String()))
		}
	}
	return names
}

// TestEnvRedaction pins that no way of printing an Env shows a secret.
func TestEnvRedaction(t *testing.T) {
	e := EnvFrom(lookup(secretEnv))
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("start", "env", e)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("start", "env", e, "ptr", &e)
	js, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var decoded map[string]string // json.Marshal escapes "<" and ">"
	if err := json.Unmarshal(js, &decoded); err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"String":    e.String(),
		"GoString":  e.GoString(),
		"Summary":   strings.Join(e.Summary(), "\n"),
		"%v":        fmt.Sprintf("%v", e),
		"%+v":       fmt.Sprintf("%+v", e),
		"%#v":       fmt.Sprintf("%#v", e),
		"%s":        fmt.Sprintf("%s", e),
		"%q":        fmt.Sprintf("%q", e),
		"%x":        fmt.Sprintf("%x", e),
		"%d":        fmt.Sprintf("%d", e),
		"pointer":   fmt.Sprintf("%v %+v %#v", &e, &e, &e),
		"nested":    fmt.Sprintf("%v %+v %#v", struct{ Env Env }{e}, struct{ Env Env }{e}, struct{ Env Env }{e}),
		"slice":     fmt.Sprint([]Env{e}),
		"Println":   fmt.Sprintln(e),
		"json":      fmt.Sprint(decoded),
		"slog":      logs.String(),
		"error":     fmt.Errorf("start with %v: %w", e, fmt.Errorf("boom")).Error(),
		"Validate":  fmt.Sprint(Env{RedisURL: "http://u:redispass-s3cret@h"}.Validate()),
		"Validate2": fmt.Sprint(Env{AzureEndpoint: "ftp://x:azurekey-s3cret@h"}.Validate()),
	}
	var secrets []string
	for _, k := range []string{"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "DISCORD_BOT_TOKEN", "OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "QM_INGEST_TOKEN"} {
		secrets = append(secrets, secretEnv[k])
	}
	secrets = append(secrets, "redispass", "querypass", "slackurlpass", "openaiquery", "azuretok", "azurekey")
	for name, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s shows secret %q:\n%s", name, s, out)
			}
		}
		if name != "Summary" && name != "Validate" && name != "Validate2" && !strings.Contains(out, redacted) {
			t.Errorf("%s does not say %q:\n%s", name, redacted, out)
		}
	}
}

func TestEnvString(t *testing.T) {
	e := Env{
		RedisURL:      "redis://:hunter2@host:6379/0",
		SlackBotToken: "xoxb-1",
		OpenAIModel:   "gpt-test",
		ConfigPath:    "qm.yaml",
	}
	want := "REDIS_URL=redis://:<redacted>@host:6379/0 SLACK_BOT_TOKEN=<redacted> SLACK_APP_TOKEN= SLACK_SIGNING_SECRET= SLACK_API_URL= " +
		"DISCORD_BOT_TOKEN= DISCORD_PUBLIC_KEY= DISCORD_APP_ID= DISCORD_GUILD_ID= OPENAI_API_KEY= OPENAI_BASE_URL= OPENAI_MODEL=gpt-test AZURE_OPENAI_ENDPOINT= " +
		"AZURE_OPENAI_API_KEY= AZURE_OPENAI_DEPLOYMENT= AZURE_OPENAI_API_VERSION= QM_INGEST_TOKEN= QM_ASK_TOKEN= QM_ACTIONS_WEBHOOK= QM_CONFIG=qm.yaml"
	if got := e.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
	if got := fmt.Sprintf("%v|%+v|%s", e, e, e); got != want+"|"+want+"|"+want {
		t.Errorf("%%v, %%+v, %%s differ from String():\n%s", got)
	}
	wantGo := `config.Env{RedisURL:"redis://:<redacted>@host:6379/0", SlackBotToken:"<redacted>", SlackAppToken:"", SlackSigningSecret:"", SlackAPIURL:"", ` +
		`DiscordBotToken:"", DiscordPublicKey:"", DiscordAppID:"", DiscordGuildID:"", OpenAIKey:"", OpenAIBaseURL:"", OpenAIModel:"gpt-test", AzureEndpoint:"", AzureKey:"", ` +
		`AzureDeployment:"", AzureAPIVersion:"", IngestToken:"", AskToken:"", ActionsWebhook:"", ConfigPath:"qm.yaml"}`
	if got := fmt.Sprintf("%#v", e); got != wantGo {
		t.Errorf("%%#v =\n%s\nwant\n%s", got, wantGo)
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"redis://host:6379/0", "redis://host:6379/0"},
		{"redis://:hunter2@host:6379/0", "redis://:<redacted>@host:6379/0"},
		{"redis://default:hunter2@host:6379/0", "redis://default:<redacted>@host:6379/0"},
		{"rediss://hunter2@host:6380", "rediss://<redacted>@host:6380"},
		{"redis://host/0?dial_timeout=3s&password=hunter2", "redis://host/0?dial_timeout=3s&password=<redacted>"},
		{"https://x.openai.azure.com/?api-key=k&sig=s&v=1", "https://x.openai.azure.com/?api-key=<redacted>&sig=<redacted>&v=1"},
		{"unix:///run/redis.sock", "unix:///run/redis.sock"},
		{"localhost:6379", "localhost:6379"},
		{"user:hunter2@host:6379", redacted}, // not a URL a client would read, and it has a password in it
		{"redis://host:port\x7f", redacted},
	}
	for _, tt := range tests {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEnvSummary(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{
			name: "nothing set",
			env:  nil,
			want: []string{
				"redis: embedded store (REDIS_URL unset)",
				"chat: console (no SLACK_BOT_TOKEN or DISCORD_BOT_TOKEN)",
				"llm: templates (no OPENAI_API_KEY or AZURE_OPENAI_ENDPOINT)",
				"ingest API: disabled (QM_INGEST_TOKEN unset)",
			},
		},
		{
			name: "slack and openai",
			env: map[string]string{
				"REDIS_URL":       "redis://:pw@host:6379/0",
				"SLACK_BOT_TOKEN": "xoxb",
				"SLACK_APP_TOKEN": "xapp",
				"OPENAI_API_KEY":  "sk",
				"QM_INGEST_TOKEN": "tok",
			},
			want: []string{
				"redis: redis://:<redacted>@host:6379/0",
				"chat: slack",
				"llm: openai model gpt-4o-mini at https://api.openai.com/v1",
				"ingest API: bearer token required",
			},
		},
		{
			name: "discord, slack at a test server, openai compatible",
			env: map[string]string{
				"REDIS_URL":         "redis://host:6379/0",
				"SLACK_BOT_TOKEN":   "xoxb",
				"SLACK_API_URL":     "http://127.0.0.1:9999/api/",
				"DISCORD_BOT_TOKEN": "d",
				"OPENAI_API_KEY":    "sk",
				"OPENAI_BASE_URL":   "http://localhost:11434/v1",
				"OPENAI_MODEL":      "llama3",
			},
			want: []string{
				"redis: redis://host:6379/0",
				"chat: slack at http://127.0.0.1:9999/api/ and discord",
				"llm: openai model llama3 at http://localhost:11434/v1",
				"ingest API: disabled (QM_INGEST_TOKEN unset)",
			},
		},
		{
			name: "azure wins over openai",
			env: map[string]string{
				"DISCORD_BOT_TOKEN":       "d",
				"OPENAI_API_KEY":          "sk",
				"AZURE_OPENAI_ENDPOINT":   "https://qm.openai.azure.com/",
				"AZURE_OPENAI_API_KEY":    "k",
				"AZURE_OPENAI_DEPLOYMENT": "gpt4o-prod",
			},
			want: []string{
				"redis: embedded store (REDIS_URL unset)",
				"chat: discord",
				"llm: azure deployment gpt4o-prod at https://qm.openai.azure.com/ (OPENAI_API_KEY ignored)",
				"ingest API: disabled (QM_INGEST_TOKEN unset)",
			},
		},
		{
			name: "ollama: a base URL of its own and no key",
			env:  map[string]string{"OPENAI_BASE_URL": "http://localhost:11434/v1", "OPENAI_MODEL": "llama3.1"},
			want: []string{
				"redis: embedded store (REDIS_URL unset)",
				"chat: console (no SLACK_BOT_TOKEN or DISCORD_BOT_TOKEN)",
				"llm: openai-compatible model llama3.1 at http://localhost:11434/v1, no API key",
				"ingest API: disabled (QM_INGEST_TOKEN unset)",
			},
		},
		{
			name: "app token alone is not slack",
			env:  map[string]string{"SLACK_APP_TOKEN": "xapp"},
			want: []string{
				"redis: embedded store (REDIS_URL unset)",
				"chat: console (no SLACK_BOT_TOKEN or DISCORD_BOT_TOKEN)",
				"llm: templates (no OPENAI_API_KEY or AZURE_OPENAI_ENDPOINT)",
				"ingest API: disabled (QM_INGEST_TOKEN unset)",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EnvFrom(lookup(tt.env)).Summary()
			if !slices.Equal(got, tt.want) {
				t.Errorf("Summary() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestEnvValidate(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{name: "nothing set", want: ""},
		{name: "redis url", env: map[string]string{"REDIS_URL": "rediss://:pw@host:6380/1"}, want: ""},
		{name: "redis unix socket", env: map[string]string{"REDIS_URL": "unix:///run/redis.sock"}, want: ""},
		{
			name: "redis wrong scheme",
			env:  map[string]string{"REDIS_URL": "http://:pw@host"},
			want: "REDIS_URL: http://:<redacted>@host, want redis://, rediss:// or unix:// URL",
		},
		{
			name: "redis host and port only",
			env:  map[string]string{"REDIS_URL": "localhost:6379"},
			want: "REDIS_URL: localhost:6379, want redis://, rediss:// or unix:// URL",
		},
		{
			name: "openai base url not http",
			env:  map[string]string{"OPENAI_BASE_URL": "api.openai.com/v1"},
			want: "OPENAI_BASE_URL: api.openai.com/v1, want an http:// or https:// URL",
		},
		{
			name: "azure without deployment",
			env:  map[string]string{"AZURE_OPENAI_ENDPOINT": "https://qm.openai.azure.com/", "AZURE_OPENAI_API_KEY": "k"},
			want: "AZURE_OPENAI_DEPLOYMENT: unset, want the deployment name to go with AZURE_OPENAI_ENDPOINT",
		},
		{
			name: "azure key without endpoint",
			env:  map[string]string{"AZURE_OPENAI_API_KEY": "k", "OPENAI_API_KEY": "sk"},
			want: "AZURE_OPENAI_ENDPOINT: unset, want the endpoint to go with AZURE_OPENAI_API_KEY or AZURE_OPENAI_DEPLOYMENT",
		},
		{
			name: "azure without key",
			env:  map[string]string{"AZURE_OPENAI_ENDPOINT": "https://qm.openai.azure.com/", "AZURE_OPENAI_DEPLOYMENT": "d"},
			want: "AZURE_OPENAI_API_KEY: unset, want the key to go with AZURE_OPENAI_ENDPOINT",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := EnvFrom(lookup(tt.env)).Validate()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Validate() = %q, want %q", got, tt.want)
			}
		})
	}
}
