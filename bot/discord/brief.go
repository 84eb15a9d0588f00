package discord

import (
	"bytes"
	"context"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
)

// BriefFile is the name the daily briefing's chart is attached under.
const BriefFile = "briefing.png"

// PostBrief posts a daily briefing to channel (see bot/brief) as one
// message: its first line is the embed's title, the rest its description
// (in two embeds when it passes one description's limit, cut with a
// warning at Discord's total), and the chart, when there is one, is
// attached and shown in the embed. Markdown in the text is escaped, so a
// partner's identifier cannot format it, and the message pings no one.
// It makes one request and never retries; errors are *notify.Error,
// without the token.
func (n *Notifier) PostBrief(ctx context.Context, channel, text string, png []byte) error {
	r := n.renderer(alert.Alert{ID: "briefing"}) // cuts are logged as the briefing's
	title, body, _ := strings.Cut(strings.TrimSpace(text), "\n")
	first := &discordgo.MessageEmbed{Title: r.cut("title", title, maxEmbedTitle), Color: colourInfo}
	body = escapeMarkdown(strings.TrimSpace(body))
	if budget := maxEmbedTotal - utf8.RuneCountInString(first.Title); utf8.RuneCountInString(body) > budget {
		body = r.cut("briefing", body, budget)
	}
	embeds := []*discordgo.MessageEmbed{first}
	for i, part := range splitLines(body, maxEmbedDescription) {
		if i == 0 {
			first.Description = part
			continue
		}
		embeds = append(embeds, &discordgo.MessageEmbed{Description: part, Color: colourInfo})
	}
	msg := &discordgo.MessageSend{Embeds: embeds, AllowedMentions: noMentions()}
	if len(png) > 0 {
		msg.Files = []*discordgo.File{{Name: BriefFile, ContentType: "image/png", Reader: bytes.NewReader(png)}}
		embeds[len(embeds)-1].Image = &discordgo.MessageEmbedImage{URL: "attachment://" + BriefFile}
	}
	_, err := call(ctx, n, "post briefing in "+channel, func(opts ...discordgo.RequestOption) (*discordgo.Message, error) {
		return n.session.ChannelMessageSendComplex(channel, msg, opts...)
	})
	return err
}

// splitLines cuts s into parts of at most limit characters, between lines
// where it can and inside a line longer than limit where it must.
func splitLines(s string, limit int) []string {
	var parts []string
	var cur strings.Builder
	n := 0
	flush := func() {
		if cur.Len() > 0 {
			parts = append(parts, strings.TrimRight(cur.String(), "\n"))
			cur.Reset()
			n = 0
		}
	}
	for _, line := range strings.SplitAfter(s, "\n") {
		// A part's last newline is trimmed, so a line fits when its text
		// does.
		for utf8.RuneCountInString(strings.TrimSuffix(line, "\n")) > limit {
			flush()
			i, kept := 0, 0
			for kept < limit {
				_, size := utf8.DecodeRuneInString(line[i:])
				i += size
				kept++
			}
			parts = append(parts, line[:i])
			line = line[i:]
		}
		if l := utf8.RuneCountInString(strings.TrimSuffix(line, "\n")); n+l > limit {
			flush()
		}
		cur.WriteString(line)
		n += utf8.RuneCountInString(line)
	}
	flush()
	return parts
}

// escapeMarkdown keeps Discord from reading text as markdown: the
// characters that format inline are escaped, and so are a quote or a
// heading at the start of a line.
func escapeMarkdown(s string) string {
	var b strings.Builder
	lineStart := true
	for _, r := range s {
		switch {
		case strings.ContainsRune("\\*_~`|", r), lineStart && (r == '>' || r == '#'):
			b.WriteByte('\\')
		}
		b.WriteRune(r)
		switch r {
		case '\n':
			lineStart = true
		case ' ', '\t':
		default:
			lineStart = false
		}
	}
	return b.String()
}
