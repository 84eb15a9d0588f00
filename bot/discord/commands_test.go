package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/quartermaster-ops/quartermaster/bot/notify"
)

// Discord's limits on a chat-input command, from
// https://discord.com/developers/docs/interactions/application-commands#application-command-object.
const (
	maxCommandDescription = 100
	maxCommandOptions     = 25
	maxChoices            = 25
	maxChoiceName         = 100
	maxChoiceValue        = 100
	// Every name, description and choice value of a command together. The
	// documented limit is 8000 (once 4000); staying under the older one
	// leaves room to grow.
	maxCommandCharacters = 4000
)

// commandName is Discord's pattern for a command or option name; chat
// input names must also be lower case.
var commandName = regexp.MustCompile(`^[-_\p{L}\p{N}\p{Devanagari}\p{Thai}]{1,32}$`)

func TestCommandsWithinDiscordLimits(t *testing.T) {
	cmds := Commands()
	if len(cmds) != 1 {
		t.Fatalf("%d commands, want one /qm", len(cmds))
	}
	qm := cmds[0]
	if qm.Name != "qm" || qm.Type != discordgo.ChatApplicationCommand {
		t.Errorf("command %q of type %d, want qm of type 1", qm.Name, qm.Type)
	}
	total := 0
	checkName := func(where, name string) {
		t.Helper()
		total += utf8.RuneCountInString(name)
		if !commandName.MatchString(name) || strings.ToLower(name) != name {
			t.Errorf("%s: name %q: want 1-32 lower-case letters, digits, - or _", where, name)
		}
	}
	checkDescription := func(where, d string) {
		t.Helper()
		total += utf8.RuneCountInString(d)
		if n := utf8.RuneCountInString(d); n < 1 || n > maxCommandDescription {
			t.Errorf("%s: description has %d characters, want 1 to %d", where, n, maxCommandDescription)
		}
	}
	checkName("/qm", qm.Name)
	checkDescription("/qm", qm.Description)
	if len(qm.Options) > maxCommandOptions {
		t.Errorf("/qm has %d subcommands, Discord allows %d", len(qm.Options), maxCommandOptions)
	}
	subs := map[string]bool{}
	for _, sub := range qm.Options {
		where := "/qm " + sub.Name
		checkName(where, sub.Name)
		checkDescription(where, sub.Description)
		if sub.Type != discordgo.ApplicationCommandOptionSubCommand {
			t.Errorf("%s: type %d, want a subcommand", where, sub.Type)
		}
		if subs[sub.Name] {
			t.Errorf("%s: defined twice", where)
		}
		subs[sub.Name] = true
		if len(sub.Options) > maxCommandOptions {
			t.Errorf("%s: %d options, Discord allows %d", where, len(sub.Options), maxCommandOptions)
		}
		names, optional := map[string]bool{}, false
		for _, o := range sub.Options {
			where := where + " " + o.Name
			checkName(where, o.Name)
			checkDescription(where, o.Description)
			if names[o.Name] {
				t.Errorf("%s: defined twice", where)
			}
			names[o.Name] = true
			if o.Type != discordgo.ApplicationCommandOptionString {
				t.Errorf("%s: type %d, want a string", where, o.Type)
			}
			if o.Required && optional {
				t.Errorf("%s: required after an optional option; Discord refuses that", where)
			}
			optional = optional || !o.Required
			if len(o.Choices) > maxChoices {
				t.Errorf("%s: %d choices, Discord allows %d", where, len(o.Choices), maxChoices)
			}
			for _, c := range o.Choices {
				v, _ := c.Value.(string)
				total += utf8.RuneCountInString(c.Name) + utf8.RuneCountInString(v)
				if n := utf8.RuneCountInString(c.Name); n < 1 || n > maxChoiceName {
					t.Errorf("%s: choice name %q: want 1 to %d characters", where, c.Name, maxChoiceName)
				}
				if n := utf8.RuneCountInString(v); n < 1 || n > maxChoiceValue {
					t.Errorf("%s: choice value %v: want a string of 1 to %d characters", where, c.Value, maxChoiceValue)
				}
			}
		}
	}
	if total > maxCommandCharacters {
		t.Errorf("/qm has %d characters of names, descriptions and values, want at most %d", total, maxCommandCharacters)
	}
	// The subcommands the text grammar has, each of them.
	for _, want := range []string{"status", "ask", "brief", "ack", "snooze", "assign", "silence", "silences", "unsilence", "help"} {
		if !subs[want] {
			t.Errorf("/qm lacks subcommand %s", want)
		}
	}
}

func TestRegister(t *testing.T) {
	want, err := json.Marshal(Commands())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, guild, path string
	}{
		{"global", "", "/api/v9/applications/1100/commands"},
		{"guild", "2200", "/api/v9/applications/1100/guilds/2200/commands"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeDiscord(t)
			f.setHook(func(w http.ResponseWriter, r *http.Request) bool {
				var cmds []map[string]any
				_ = json.NewDecoder(r.Body).Decode(&cmds)
				for i := range cmds {
					cmds[i]["id"] = fmt.Sprint(900 + i)
				}
				reply(w, cmds)
				return true
			})
			n, _ := newNotifier(t, f) // for its client, pointed at f
			if err := Register(context.Background(), testToken, "1100", tt.guild, WithHTTPClient(n.session.Client)); err != nil {
				t.Fatalf("Register: %v", err)
			}
			got := f.got()
			if len(got) != 1 {
				t.Fatalf("%d requests, want one bulk overwrite", len(got))
			}
			r := got[0]
			if r.Method != http.MethodPut || r.Path != tt.path || r.Auth != "Bot "+testToken {
				t.Errorf("request %s %s auth %q, want PUT %s with the bot token", r.Method, r.Path, r.Auth, tt.path)
			}
			if string(r.Body) != string(want) {
				t.Errorf("body\n%s\nwant\n%s", r.Body, want)
			}
		})
	}
}

func TestRegisterErrors(t *testing.T) {
	for _, tt := range []struct {
		name, app, guild string
		status           int // the stand-in's answer; 0 when no request must be made
		retryable        bool
		want             string
	}{
		{name: "no application id", app: "", want: `application id "": want a Discord id`},
		{name: "application id not a number", app: "qm-bot", want: `application id "qm-bot"`},
		{name: "guild id not a number", app: "1100", guild: "DC-EAST", want: `guild id "DC-EAST"`},
		{name: "bad token", app: "1100", status: 401, want: "HTTP 401 (code 40001)"},
		{name: "missing scope", app: "1100", guild: "2200", status: 403, want: "overwrite commands of application 1100 in guild 2200: HTTP 403"},
		{name: "Discord down", app: "1100", status: 502, retryable: true, want: "HTTP 502"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeDiscord(t)
			f.setHook(func(w http.ResponseWriter, r *http.Request) bool {
				// Echo the credentials back, as a careless proxy might.
				w.WriteHeader(tt.status)
				_, _ = fmt.Fprintf(w, `{"message":"refused %s","code":40001}`, r.Header.Get("Authorization"))
				return true
			})
			n, logs := newNotifier(t, f)
			err := Register(context.Background(), testToken, tt.app, tt.guild,
				WithHTTPClient(n.session.Client), WithLogger(n.log))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Register: %v, want an error containing %q", err, tt.want)
			}
			for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), logs.String()} {
				if strings.Contains(s, testToken) {
					t.Errorf("token leaked: %s", s)
				}
			}
			if tt.status == 0 {
				if len(f.got()) != 0 {
					t.Errorf("%d requests for a refused id, want none", len(f.got()))
				}
				return
			}
			var ne *notify.Error
			if !errors.As(err, &ne) || ne.Retryable != tt.retryable {
				t.Errorf("error %#v, want a *notify.Error with Retryable %v", err, tt.retryable)
			}
		})
	}
}
