package slack

import (
	"bytes"
	"context"

	slackapi "github.com/slack-go/slack"
)

// BriefFile is the name the daily briefing's chart is uploaded under.
const BriefFile = "briefing.png"

// PostBrief posts a daily briefing to channel (see bot/brief): with a
// chart, the chart is uploaded to the channel with the text as its
// comment, in one message; without one, the text is a plain message. The
// text is escaped, so partner identifiers in it cannot mention anyone or
// form links, and cut to Slack's limit. It makes no retries; errors are
// *notify.Error, without the token.
func (n *Notifier) PostBrief(ctx context.Context, channel, text string, png []byte) error {
	text = n.truncate("briefing", "briefing", escape(text), maxTextChars)
	if len(png) == 0 {
		_, _, err := n.api.PostMessageContext(ctx, channel,
			slackapi.MsgOptionText(text, false),
			slackapi.MsgOptionDisableLinkUnfurl(),
		)
		if err != nil {
			return n.classify(ctx, "chat.postMessage", err)
		}
		return nil
	}
	// files.getUploadURLExternal, the upload, then
	// files.completeUploadExternal sharing it with the comment.
	_, err := n.api.UploadFileContext(ctx, slackapi.UploadFileParameters{
		Reader: bytes.NewReader(png), FileSize: len(png), Filename: BriefFile,
		Title: "Top risks: stock available against forecast demand", AltTxt: "Projected stock and forecast demand of the top risks",
		Channel: channel, InitialComment: text,
	})
	if err != nil {
		return n.classify(ctx, "files.upload", err)
	}
	return nil
}
