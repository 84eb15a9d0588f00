package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Genesis is the prev of the first entry: the hash of no entry.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// System is the actor of entries the bot writes on its own behalf, such as
// an execution it performs after an approval.
const System = "system"

// Actions the bot records. Action is an open set: a new kind of decision
// needs no change here, only a name that says what was done.
const (
	Ack     = "ack"
	Snooze  = "snooze"
	Assign  = "assign"
	Propose = "propose"
	Approve = "approve"
	Reject  = "reject"
	Execute = "execute"
)

// version is the canonical encoding's format, recorded in every entry so a
// later format can be introduced without making old entries unverifiable.
const version = 1

// atLayout is RFC 3339 in UTC with exactly three fractional digits, so
// that one instant has one spelling.
const atLayout = "2006-01-02T15:04:05.000Z07:00"

// Source says which chat message an entry came from.
type Source struct {
	Platform string // "slack", "discord", "console", "cli"
	Channel  string // the platform's channel id
	Message  string // the platform's message reference (Slack ts, Discord id)
}

// Entry is one audited decision: who did what, when, about which alert,
// from which message.
//
// Append sets Seq, At, Prev, Hash and ID; whatever the caller put there is
// replaced, so that the time is the log's own clock and the chain cannot be
// steered by the caller.
type Entry struct {
	Seq    int64             // position in the chain, from 1
	At     time.Time         // when the entry was appended, to the millisecond
	Actor  string            // chat user id, or System
	Role   string            // the actor's role when acting
	Action string            // Ack, Snooze, Assign, Approve, ...
	Alert  string            // the alert acted on, if any
	Target string            // what the action is about: a PO, shipment, SKU-site, ...
	Params map[string]string // the action's exact parameters (quantity, until, assignee)
	Source Source
	Prev   string // Hash of the entry before, Genesis for the first
	Hash   string // hex SHA-256 of Canonical()

	// ID is the Redis stream id the entry was stored under. It is not
	// hashed: it says where to find the entry, not what it says.
	ID string
}

// Canonical is the byte string an entry's hash is taken over. It is JSON
// in one spelling, so that anyone can recompute a hash with any language:
//
//   - one object, no whitespace, members sorted by the bytes of their
//     names: action, actor, alert, at, params, prev, role, seq, source,
//     target, v; every member is present, empty strings and empty params
//     included;
//   - at is RFC 3339 in UTC with exactly three fractional digits
//     ("2026-11-20T08:00:00.000Z"); seq is a decimal integer; v is the
//     format version, 1;
//   - params and source are objects under the same rules (source has
//     channel, message, platform); params values are strings, so that no
//     number formatting can change a hash;
//   - strings are escaped as RFC 8785 (JCS) does: \" and \\, the short
//     forms \b \t \n \f \r, other characters below U+0020 as \u00xx in
//     lower-case hex, and everything else as plain UTF-8 (no escaping of
//     <, >, & or non-ASCII). Invalid UTF-8 is replaced by U+FFFD before
//     hashing.
//
// The encoder is written out here rather than left to encoding/json,
// whose escaping has changed between Go releases: a log must verify
// years after it was written.
func (e Entry) Canonical() []byte {
	return e.clean().record().canonical(false)
}

// sum is the hash of Canonical.
func (e Entry) sum() string { return e.clean().record().sum() }

// record is an entry as stored, with its time already spelled out. Verify
// works on records, so it hashes exactly the strings that were stored.
type record struct {
	V      int               `json:"v"`
	Seq    int64             `json:"seq"`
	At     string            `json:"at"`
	Actor  string            `json:"actor"`
	Role   string            `json:"role"`
	Action string            `json:"action"`
	Alert  string            `json:"alert"`
	Target string            `json:"target"`
	Params map[string]string `json:"params"`
	Source struct {
		Platform string `json:"platform"`
		Channel  string `json:"channel"`
		Message  string `json:"message"`
	} `json:"source"`
	Prev string `json:"prev"`
	Hash string `json:"hash"`
}

func (e Entry) record() record {
	r := record{
		V: version, Seq: e.Seq, At: e.At.UTC().Format(atLayout),
		Actor: e.Actor, Role: e.Role, Action: e.Action, Alert: e.Alert, Target: e.Target,
		Params: e.Params, Prev: e.Prev, Hash: e.Hash,
	}
	r.Source.Platform, r.Source.Channel, r.Source.Message = e.Source.Platform, e.Source.Channel, e.Source.Message
	return r
}

func (r record) entry(id string) (Entry, error) {
	at, err := time.Parse(time.RFC3339, r.At)
	if err != nil {
		return Entry{}, err
	}
	return Entry{
		Seq: r.Seq, At: at, Actor: r.Actor, Role: r.Role, Action: r.Action, Alert: r.Alert,
		Target: r.Target, Params: r.Params, Prev: r.Prev, Hash: r.Hash, ID: id,
		Source: Source{Platform: r.Source.Platform, Channel: r.Source.Channel, Message: r.Source.Message},
	}, nil
}

func (r record) sum() string {
	h := sha256.Sum256(r.canonical(false))
	return hex.EncodeToString(h[:])
}

// canonical encodes r as Entry.Canonical documents. With hash set it also
// includes the hash member: that is the form stored in the stream, so an
// entry read with XRANGE is itself canonical and carries its hash.
func (r record) canonical(hash bool) []byte {
	params := make(object, 0, len(r.Params))
	for k, v := range r.Params {
		params = append(params, member{k, appendString(nil, v)})
	}
	source := object{
		{"platform", appendString(nil, r.Source.Platform)},
		{"channel", appendString(nil, r.Source.Channel)},
		{"message", appendString(nil, r.Source.Message)},
	}
	o := object{
		{"v", strconv.AppendInt(nil, int64(r.V), 10)},
		{"seq", strconv.AppendInt(nil, r.Seq, 10)},
		{"at", appendString(nil, r.At)},
		{"actor", appendString(nil, r.Actor)},
		{"role", appendString(nil, r.Role)},
		{"action", appendString(nil, r.Action)},
		{"alert", appendString(nil, r.Alert)},
		{"target", appendString(nil, r.Target)},
		{"params", params.append(nil)},
		{"source", source.append(nil)},
		{"prev", appendString(nil, r.Prev)},
	}
	if hash {
		o = append(o, member{"hash", appendString(nil, r.Hash)})
	}
	return o.append(nil)
}

// object is a JSON object under construction; append sorts its members.
type object []member

type member struct {
	name  string
	value []byte // already encoded
}

func (o object) append(b []byte) []byte {
	slices.SortFunc(o, func(a, b member) int { return strings.Compare(a.name, b.name) })
	b = append(b, '{')
	for i, m := range o {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, m.name)
		b = append(b, ':')
		b = append(b, m.value...)
	}
	return append(b, '}')
}

// appendString writes s as a JSON string with RFC 8785's escaping. s must
// be valid UTF-8 (Append makes sure of it).
func appendString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\t':
			b = append(b, '\\', 't')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// clean returns e with every string valid UTF-8, the time on the
// millisecond and a private copy of the params, ready to be hashed.
func (e Entry) clean() Entry {
	fix := func(s string) string {
		if utf8.ValidString(s) {
			return s
		}
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	e.At = e.At.UTC().Truncate(time.Millisecond)
	e.Actor, e.Role, e.Action = fix(e.Actor), fix(e.Role), fix(e.Action)
	e.Alert, e.Target = fix(e.Alert), fix(e.Target)
	e.Source = Source{Platform: fix(e.Source.Platform), Channel: fix(e.Source.Channel), Message: fix(e.Source.Message)}
	if len(e.Params) > 0 {
		p := make(map[string]string, len(e.Params))
		for k, v := range e.Params {
			p[fix(k)] = fix(v)
		}
		e.Params = p
	} else {
		e.Params = nil
	}
	return e
}
