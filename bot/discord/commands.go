package discord

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// CommandName is Quartermaster's one chat-input command. Its subcommands
// mirror the text of Slack's /qm, so both platforms share one grammar and
// one handler (interact.Handler.Command).
const CommandName = "qm"

// CommandFunc answers the text of a /qm command for a user in a channel,
// the same text Slack's /qm passes (e.g. "snooze ALERT 4h"); the answer is
// shown to that user alone.
type CommandFunc func(ctx context.Context, user, channel, text string) (string, error)

// subcommand is one /qm subcommand. Its text is its name followed by its
// options' values (each after its keyword, if any) in the order listed,
// empty optional ones left out.
type subcommand struct {
	name, description string
	options           []option
	// slow marks subcommands that may take longer than Discord's three
	// seconds (they may call an LLM): their answer is deferred.
	slow bool
}

// option is a string option of a subcommand.
type option struct {
	name, description string
	required          bool
	// word marks a value that must be one word (an id, a position, a
	// duration): a space in it would shift every later word of the text.
	word bool
	// keyword is a word the text grammar wants before the value, such as
	// the "for" of "silence MATCHER... for DURATION".
	keyword string
	choices []string
	// check, when set, refuses a value the text grammar would misread.
	check func(string) error
}

// alertOption names the alert an ack, snooze or assign is about.
var alertOption = option{name: "alert", description: "The alert id, e.g. qm-4f81030b1c2084a2-1", required: true, word: true}

// subcommands is /qm, in the order Discord lists it.
var subcommands = []subcommand{
	{name: "status", description: "A position's stock, demand, days of supply and inbound, from validated state.",
		options: []option{{name: "position", description: "The position as SKU@SITE, e.g. SKU-1@DC-EAST", required: true, word: true}}},
	{name: "ask", description: "Ask about stock, orders, shipments or alerts; answered from validated numbers.", slow: true,
		options: []option{{name: "question", description: "Your question, e.g. why is SKU-1 at risk in DC-EAST?", required: true}}},
	{name: "brief", description: "The briefing: what needs attention now.", slow: true},
	{name: "ack", description: "Acknowledge an alert: you are on it.",
		options: []option{alertOption, {name: "note", description: "A note kept with the acknowledgement"}}},
	{name: "snooze", description: "Mute an alert for a while; it comes back sooner if it escalates.",
		options: []option{alertOption, {name: "for", description: "How long", required: true, word: true, choices: []string{"1h", "4h", "24h"}}}},
	{name: "assign", description: "Take an alert: it becomes yours.", options: []option{alertOption}},
	{name: "silence", description: "Mute in chat every alert all the matchers match, for up to 7d.",
		options: []option{
			{name: "matchers", description: "e.g. kind=stockout_risk site=DC-EAST, SKU-1@DC-EAST or an alert id; /qm help silence", required: true, check: checkMatchers},
			{name: "for", description: "How long, e.g. 90m, 4h or 2d", required: true, word: true, keyword: "for"},
			{name: "comment", description: "Why, for whoever sees the silence"},
		}},
	{name: "silences", description: "List the active silences."},
	{name: "unsilence", description: "End a silence early.",
		options: []option{{name: "id", description: "The silence id, as /qm silences lists it", required: true, word: true}}},
	{name: "help", description: "What /qm can do.",
		options: []option{{name: "topic", description: "Explain one command in full", word: true, choices: []string{"silence"}}}},
}

// Commands returns the definition of /qm for Register: one chat-input
// command whose subcommands mirror the text grammar of Slack's /qm.
func Commands() []*discordgo.ApplicationCommand {
	subs := make([]*discordgo.ApplicationCommandOption, 0, len(subcommands))
	for _, s := range subcommands {
		sub := &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand, Name: s.name, Description: s.description}
		for _, o := range s.options {
			opt := &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString,
				Name: o.name, Description: o.description, Required: o.required}
			for _, c := range o.choices {
				opt.Choices = append(opt.Choices, &discordgo.ApplicationCommandOptionChoice{Name: c, Value: c})
			}
			sub.Options = append(sub.Options, opt)
		}
		subs = append(subs, sub)
	}
	return []*discordgo.ApplicationCommand{{
		Type:        discordgo.ChatApplicationCommand,
		Name:        CommandName,
		Description: "Quartermaster: alerts, positions, questions and the briefing.",
		Options:     subs,
	}}
}

// commandText turns the data of a /qm interaction into the text Slack's
// /qm would carry, and reports whether its answer must be deferred.
func commandText(d discordgo.ApplicationCommandInteractionData) (text string, slow bool, err error) {
	if d.Name != CommandName {
		return "", false, fmt.Errorf("unknown command /%s: Quartermaster answers /%s", d.Name, CommandName)
	}
	if len(d.Options) != 1 || d.Options[0] == nil || d.Options[0].Type != discordgo.ApplicationCommandOptionSubCommand {
		return "", false, fmt.Errorf("/%s needs one subcommand; /%s help lists them", CommandName, CommandName)
	}
	given := d.Options[0]
	var sub *subcommand
	for i := range subcommands {
		if subcommands[i].name == given.Name {
			sub = &subcommands[i]
		}
	}
	if sub == nil {
		return "", false, fmt.Errorf("unknown subcommand %q; /%s help lists them", given.Name, CommandName)
	}

	values := make(map[string]string, len(given.Options))
	for _, o := range given.Options {
		if o == nil {
			continue
		}
		known := slices.ContainsFunc(sub.options, func(want option) bool { return want.name == o.Name })
		v, isString := o.Value.(string)
		if !known || o.Type != discordgo.ApplicationCommandOptionString || !isString {
			return "", false, fmt.Errorf("/%s %s: unexpected option %q", CommandName, sub.name, o.Name)
		}
		values[o.Name] = v
	}

	words := []string{sub.name}
	for _, o := range sub.options {
		// Fields drops line breaks and runs of spaces, which the text
		// grammar reads as separators anyway.
		v := strings.Join(strings.Fields(values[o.name]), " ")
		switch {
		case v == "" && o.required:
			return "", false, fmt.Errorf("/%s %s needs %s", CommandName, sub.name, o.name)
		case v == "":
			continue
		case o.word && strings.Contains(v, " "):
			return "", false, fmt.Errorf("/%s %s: %s must be one word, got %q", CommandName, sub.name, o.name, v)
		case len(o.choices) > 0 && !slices.Contains(o.choices, v):
			return "", false, fmt.Errorf("/%s %s: %s must be one of %s, got %q", CommandName, sub.name, o.name, strings.Join(o.choices, ", "), v)
		}
		if o.check != nil {
			if err := o.check(v); err != nil {
				return "", false, fmt.Errorf("/%s %s: %s: %w", CommandName, sub.name, o.name, err)
			}
		}
		if o.keyword != "" {
			words = append(words, o.keyword)
		}
		words = append(words, v)
	}
	return strings.Join(words, " "), sub.slow, nil
}

// checkMatchers refuses the word "for" among a silence's matchers: the
// text grammar reads it as the end of the matchers, so the silence would
// get a duration and comment nobody meant. What a matcher may be is the
// grammar's to check (interact.Handler.Command).
func checkMatchers(v string) error {
	if slices.Contains(strings.Fields(v), "for") {
		return errors.New(`"for" ends the matchers; give the duration in the for option`)
	}
	return nil
}

// snowflake is a Discord id.
var snowflake = regexp.MustCompile(`^[0-9]{1,20}$`)

// Register makes /qm exactly what Commands defines: one bulk overwrite
// of the application's commands, in guildID or, when guildID is "",
// globally. Guild commands change at once; global ones can take up to an
// hour to reach every client, so a guild id suits a single-server setup.
// It is idempotent, so calling it at every start-up is safe.
//
// Options are the Notifier's: WithHTTPClient points it at a stand-in. The
// bot token never appears in its errors. A failure is a *notify.Error
// saying whether a retry may help.
func Register(ctx context.Context, token, appID, guildID string, opts ...Option) error {
	if !snowflake.MatchString(appID) {
		return fmt.Errorf("discord: register commands: application id %q: want a Discord id (digits)", appID)
	}
	if guildID != "" && !snowflake.MatchString(guildID) {
		return fmt.Errorf("discord: register commands: guild id %q: want a Discord id (digits) or none", guildID)
	}
	n, err := New(token, opts...)
	if err != nil {
		return err
	}
	where := "application " + appID
	if guildID != "" {
		where += " in guild " + guildID
	}
	_, err = call(ctx, n, "overwrite commands of "+where, func(opts ...discordgo.RequestOption) ([]*discordgo.ApplicationCommand, error) {
		return n.session.ApplicationCommandBulkOverwrite(appID, guildID, Commands(), opts...)
	})
	return err
}
