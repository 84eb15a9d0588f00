package facts

import (
	"bytes"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Policy is what generated text may contain besides facts.
type Policy struct {
	// AllowLinks are the hosts (and their subdomains) links may point
	// to; no link is allowed when it is empty.
	AllowLinks []string
}

// Kinds of Violation.
const (
	BadFigure   = "figure"  // a number, amount or percentage that matches no fact
	BadDate     = "date"    // a date that matches no Date fact, or no day at all
	MassMention = "mention" // @channel, @here, @everyone and their relatives
	ForeignLink = "link"    // a link to a host outside Policy.AllowLinks
)

// Violation is one problem Check found.
type Violation struct {
	Kind string // BadFigure, BadDate, MassMention or ForeignLink
	Text string // the offending text as written
}

func (v Violation) String() string { return v.Kind + " " + strconv.Quote(v.Text) }

// Check returns every problem in text judged against sheet, in the order
// they appear: figures, amounts, percentages and dates that match no fact;
// mass mentions; links whose host p does not allow. See the package
// documentation for the rules.
func Check(text string, sheet Sheet, p Policy) []Violation {
	d := newDoc(text)
	var out []found
	d.mentions(&out)
	d.links(p, &out)
	d.maskCitations()
	d.maskListMarkers()
	d.maskTrusted(sheet)
	d.maskIDs(sheet)
	for _, dt := range d.dates() {
		if !dt.matches(sheet) {
			out = append(out, found{dt.start, Violation{BadDate, d.orig(dt.start, dt.end)}})
		}
	}
	for _, f := range d.figures() {
		if !f.matches(sheet) {
			out = append(out, found{f.start, Violation{BadFigure, d.orig(f.start, f.end)}})
		}
	}
	if len(out) == 0 {
		return nil
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at < out[j].at })
	vs := make([]Violation, len(out))
	for i, f := range out {
		vs[i] = f.v
	}
	return vs
}

// Describe lists violations for a log line or a refusal: the first limit
// of them (all when limit <= 0), then how many more there are.
func Describe(vs []Violation, limit int) string {
	parts := make([]string, 0, len(vs))
	for i, v := range vs {
		if limit > 0 && i == limit {
			parts = append(parts, fmt.Sprintf("and %d more", len(vs)-limit))
			break
		}
		parts = append(parts, v.String())
	}
	return strings.Join(parts, ", ")
}

type found struct {
	at int
	v  Violation
}

var citation = regexp.MustCompile(`\[\s*[Ff]\d+(?:\s*[,;]\s*[Ff]\d+)*\s*\]`)
var citedID = regexp.MustCompile(`[Ff](\d+)`)

// Cited returns the fact ids text cites in brackets ([F3], [F3, F7]), in
// order of first citation.
func Cited(text string) []string {
	var ids []string
	for _, c := range citation.FindAllString(text, -1) {
		for _, m := range citedID.FindAllStringSubmatch(c, -1) {
			if id := "F" + m[1]; !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

var spaceBeforePunct = regexp.MustCompile(`[ \t]+([.,;:!?)])`)

// StripCitations removes the [F3] citations from text, for readers who do
// not want them, and the space each left before punctuation.
func StripCitations(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		l = citation.ReplaceAllString(l, "")
		l = spaceBeforePunct.ReplaceAllString(l, "$1")
		lines[i] = strings.Join(strings.Fields(l), " ")
		if lead := len(l) - len(strings.TrimLeft(l, " \t")); lead > 0 && lines[i] != "" {
			lines[i] = l[:lead] + lines[i] // keep indentation of list items
		}
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// AddFigures records every figure and full date written in text as a fact
// named after name, and returns their ids (an equal fact already in the
// sheet is reused). It is for sentences the pipeline wrote from validated
// numbers, such as a recommended action, so that prose may repeat their
// figures; never for partner text. Identifiers of the sheet's text facts
// are not read as figures, so add those first.
func (s *Sheet) AddFigures(name, text string) []string {
	d := newDoc(text)
	d.links(Policy{}, new([]found))
	d.maskCitations()
	d.maskListMarkers()
	d.maskTrusted(*s)
	d.maskIDs(*s)
	type item struct {
		at  int
		add func() string
	}
	var items []item
	for _, dt := range d.dates() {
		if dt.year == 0 || len(dt.cands) != 1 {
			continue
		}
		c := dt.cands[0]
		day := time.Date(dt.year, time.Month(c[0]), c[1], 0, 0, 0, 0, time.UTC)
		written := d.orig(dt.start, dt.end)
		items = append(items, item{dt.start, func() string {
			for _, f := range s.Facts {
				if f.Kind == Date && f.Text == day.Format(time.DateOnly) {
					return f.ID
				}
			}
			return s.AddDate(name+" "+strconv.Quote(written), day)
		}})
	}
	for _, f := range d.figures() {
		kind, v := Count, f.written*f.scale
		switch {
		case f.percent:
			kind, v = Percent, v/100
		case f.money:
			kind = Money
		case f.unit == unitHours:
			kind = Hours
		case f.unit == unitDays:
			kind = Days
		case f.unit == unitWeeks:
			kind, v = Days, v*7
		}
		written := d.orig(f.start, f.end)
		items = append(items, item{f.start, func() string {
			for _, e := range s.Facts {
				if e.Kind == kind && e.Value == v {
					return e.ID
				}
			}
			return s.Add(name+" "+strconv.Quote(written), kind, v)
		}})
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].at < items[j].at })
	var ids []string
	for _, it := range items {
		if id := it.add(); !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// doc is text prepared for scanning: normalized to fold look-alike
// characters, with a working copy in which what was already judged is
// masked out (set to 0), and a map back to the text as written.
type doc struct {
	src  string
	norm []byte // normalized text
	w    []byte // norm with judged spans masked
	from []int  // from[i]: offset in src of the character norm[i] came from
	to   []int  // to[i]: the end of that character in src
}

func newDoc(src string) *doc {
	d := &doc{src: src}
	var buf [utf8.UTFMax]byte
	for i, r := range src {
		size := utf8.RuneLen(r)
		if r == utf8.RuneError {
			_, size = utf8.DecodeRuneInString(src[i:])
		}
		n, ok := fold(r)
		if !ok {
			continue
		}
		k := utf8.EncodeRune(buf[:], n)
		for j := range k {
			d.norm = append(d.norm, buf[j])
			d.from = append(d.from, i)
			d.to = append(d.to, i+size)
		}
	}
	d.w = slices.Clone(d.norm)
	return d
}

// fold maps a character to the one it passes for, so that fullwidth or
// other look-alike forms read as ASCII; ok is false for invisible
// characters (zero-width, joiners, bidi controls, combining marks), which
// are dropped.
func fold(r rune) (rune, bool) {
	switch {
	case r < utf8.RuneSelf:
		return r, true
	case r >= 0xFF01 && r <= 0xFF5E: // fullwidth ASCII
		return r - 0xFEE0, true
	case r == 0xFE6B: // small commercial at
		return '@', true
	case r == 0xFE60: // small ampersand
		return '&', true
	case r == 0xFE5F: // small number sign
		return '#', true
	case r == 0x3002 || r == 0xFF61 || r == 0x2024 || r == 0xFE52: // ideographic and other full stops
		return '.', true
	case r == 0xFE50 || r == 0x201A: // small comma, low quote used as comma
		return ',', true
	case r >= 0x2010 && r <= 0x2015, r == 0x2212, r == 0xFE58, r == 0xFE63, r == 0x2043:
		return '-', true
	case r == 0x2044 || r == 0x2215: // fraction slash, division slash
		return '/', true
	case unicode.Is(unicode.Zs, r):
		return ' ', true
	case unicode.In(r, unicode.Cf, unicode.Mn, unicode.Me):
		return 0, false
	case unicode.Is(unicode.Nd, r):
		return '0' + digitValue(r), true
	}
	return r, true
}

// digitValue is the value of a decimal digit of any script.
func digitValue(r rune) rune {
	for _, rg := range unicode.Nd.R16 {
		if r >= rune(rg.Lo) && r <= rune(rg.Hi) {
			return (r - rune(rg.Lo)) % 10
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if r >= rune(rg.Lo) && r <= rune(rg.Hi) {
			return (r - rune(rg.Lo)) % 10
		}
	}
	return 0
}

func (d *doc) orig(start, end int) string {
	if start >= end {
		return ""
	}
	return d.src[d.from[start]:d.to[end-1]]
}

func (d *doc) mask(start, end int) {
	for i := start; i < end; i++ {
		d.w[i] = 0
	}
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isAlnum(c byte) bool  { return isDigit(c) || isLetter(c) }

// Mass mentions: Slack's and Discord's words, Slack's escape sequences
// (with or without a label), and Discord's role mentions.
var (
	atMention    = regexp.MustCompile(`(?i)@(?:channel|here|everyone|group)\b`)
	slackMention = regexp.MustCompile(`(?i)<!(?:channel|here|everyone|group|subteam)\b[^>]*>?`)
	roleMention  = regexp.MustCompile(`<@&[^>]*>?`)
)

func (d *doc) mentions(out *[]found) {
	for _, re := range []*regexp.Regexp{slackMention, roleMention, atMention} {
		for _, m := range re.FindAllIndex(d.w, -1) {
			*out = append(*out, found{m[0], Violation{MassMention, d.orig(m[0], m[1])}})
			d.mask(m[0], m[1])
		}
	}
}

// tlds are the top-level domains whose bare names (acme.com) chat clients
// turn into links; a bare name under another is left as text.
const tlds = `com|net|org|io|co|ai|app|dev|info|biz|xyz|me|ly|gl|gg|tv|cc|ws|su|pw|us|uk|de|fr|nl|eu|ca|au|jp|cn|ru|tk|ml|ga|cf|top|site|online|link|click|shop|store|cloud|tech|zip|mov|live|onion`

var (
	mdLink     = regexp.MustCompile(`\[[^\]\n]*(\]\(\s*<?([^)\s>]*)>?[^)\n]*\))`)
	slackLink  = regexp.MustCompile(`(?i)<([a-z][a-z0-9+.\-]*:[^|>\s]*)(\|[^>]*)?>`)
	schemeURL  = regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.\-]*://[^\s<>|"'\x60\[\]{}()]*`)
	pseudoURL  = regexp.MustCompile(`(?i)\b(?:mailto|javascript|vbscript|data|file|tel|sms):[^\s<>|"'\x60]+`)
	wwwURL     = regexp.MustCompile(`(?i)\bwww\d{0,3}\.[^\s<>|"'\x60\[\]{}()]+`)
	bareDomain = regexp.MustCompile(`(?i)\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:` + tlds + `)\b(?:[/?#:][^\s<>|"'\x60\[\]{}()]*)?`)
)

func (d *doc) links(p Policy, out *[]found) {
	allowed := allowList(p.AllowLinks)
	report := func(start, end int, target string) {
		if !allowedTarget(target, allowed) {
			*out = append(*out, found{start, Violation{ForeignLink, d.orig(start, end)}})
		}
		d.mask(start, end)
	}
	// A link's text is still read: [$9,999,999](allowed) is a figure.
	for _, m := range mdLink.FindAllSubmatchIndex(d.w, -1) {
		text := slices.Clone(d.w[m[0]+1 : m[2]])
		report(m[0], m[1], string(d.w[m[4]:m[5]]))
		copy(d.w[m[0]+1:], text)
	}
	for _, m := range slackLink.FindAllSubmatchIndex(d.w, -1) {
		var text []byte
		if m[4] >= 0 {
			text = slices.Clone(d.w[m[4]+1 : m[1]-1])
		}
		report(m[0], m[1], string(d.w[m[2]:m[3]]))
		if m[4] >= 0 {
			copy(d.w[m[4]+1:], text)
		}
	}
	for _, re := range []*regexp.Regexp{schemeURL, pseudoURL, wwwURL, bareDomain} {
		for _, m := range re.FindAllIndex(d.w, -1) {
			start, end := m[0], m[1]
			for end > start && strings.IndexByte(".,;:!?'\"", d.w[end-1]) >= 0 {
				end-- // the sentence's punctuation, not the link's
			}
			report(start, end, string(d.w[start:end]))
		}
	}
}

func allowList(hosts []string) []string {
	var out []string
	for _, h := range hosts {
		h = strings.ToLower(strings.TrimSpace(h))
		if u, err := url.Parse(h); err == nil && u.Host != "" {
			h = u.Hostname()
		}
		if h = strings.Trim(h, "."); h != "" {
			out = append(out, h)
		}
	}
	return out
}

// allowedTarget reports whether a link's target has a host that is, or is
// under, an allowed host. A target without a host (a relative link) is
// not allowed: in chat it can only mislead.
func allowedTarget(target string, allowed []string) bool {
	if len(allowed) == 0 {
		return false
	}
	t := strings.ToLower(target)
	if rest, ok := strings.CutPrefix(t, "mailto:"); ok {
		_, host, _ := strings.Cut(rest, "@")
		t = "http://" + host
	} else if strings.HasPrefix(t, "//") {
		t = "http:" + t
	} else if !strings.Contains(t, "://") {
		if !bareHost.MatchString(t) {
			return false // relative, javascript:, data:, tel: and the like
		}
		t = "http://" + t
	}
	u, err := url.Parse(t)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	host := strings.TrimSuffix(u.Hostname(), ".")
	if host == "" || strings.ContainsFunc(host, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-')
	}) {
		return false
	}
	for _, a := range allowed {
		if host == a || strings.HasSuffix(host, "."+a) {
			return true
		}
	}
	return false
}

var bareHost = regexp.MustCompile(`^[a-z0-9.-]+\.[a-z]{2,}(?::\d+)?(?:[/?#]|$)`)

func (d *doc) maskCitations() {
	for _, m := range citation.FindAllIndex(d.w, -1) {
		d.mask(m[0], m[1])
	}
}

var listMarker = regexp.MustCompile(`(?m)^[ \t]*(?:[-*•>][ \t]+)?(\d{1,2})[.)](?:[ \t]|$)`)

func (d *doc) maskListMarkers() {
	for _, m := range listMarker.FindAllSubmatchIndex(d.w, -1) {
		d.mask(m[2], m[3])
	}
}

// maskTrusted masks the trusted text facts written in the text, so that
// the digits of a site named "3PL-EAST 2" are not figures. Untrusted text
// is not masked: figures quoted from a partner's note are still figures.
func (d *doc) maskTrusted(sheet Sheet) {
	var texts []string
	for _, f := range sheet.Facts {
		if f.Kind == Text && !f.Untrusted && strings.ContainsFunc(f.Text, isASCIIDigit) && strings.ContainsFunc(f.Text, unicode.IsLetter) {
			texts = append(texts, string(newDoc(f.Text).norm))
		}
	}
	sort.SliceStable(texts, func(i, j int) bool { return len(texts[i]) > len(texts[j]) })
	lower := asciiLower(d.w)
	for _, t := range texts {
		tl := asciiLower([]byte(t))
		for from := 0; ; {
			i := bytes.Index(lower[from:], tl)
			if i < 0 {
				break
			}
			start, end := from+i, from+i+len(tl)
			from = start + 1
			if (start > 0 && isAlnum(d.w[start-1])) || (end < len(d.w) && isAlnum(d.w[end])) {
				continue
			}
			d.mask(start, end)
			for k := start; k < end; k++ {
				lower[k] = 0
			}
		}
	}
}

func isASCIIDigit(r rune) bool  { return r >= '0' && r <= '9' }
func isASCIILetter(r rune) bool { return r < utf8.RuneSelf && isLetter(byte(r)) }

func asciiLower(b []byte) []byte {
	out := slices.Clone(b)
	for i, c := range out {
		if c >= 'A' && c <= 'Z' {
			out[i] = c + 'a' - 'A'
		}
	}
	return out
}

// idToken is a word that may be an identifier: letters, digits and the
// joiners ids use (SKU-1001, stockout_risk/abc123#2, SKU-1@DC-EAST).
var idToken = regexp.MustCompile(`[A-Za-z0-9][A-Za-z0-9_\-/#@]*`)

// maskIDs masks identifiers: words that start with a letter, hold a digit,
// and either appear in a text fact or look like an id (see isID).
func (d *doc) maskIDs(sheet Sheet) {
	var words map[string]bool
	for _, m := range idToken.FindAllIndex(d.w, -1) {
		start, end := m[0], m[1]
		for end > start && strings.ContainsRune("-/#@_", rune(d.w[end-1])) {
			end--
		}
		tok := string(d.w[start:end])
		if !isLetter(tok[0]) || !strings.ContainsFunc(tok, isASCIIDigit) {
			continue
		}
		if !isID(tok) {
			if words == nil {
				words = textWords(sheet)
			}
			if !words[strings.ToLower(tok)] {
				continue
			}
		}
		d.mask(start, end)
	}
}

// isID reports whether a word looks like an identifier rather than a word
// glued to a number: it has an underscore (stockout_risk/…), an @ between
// letters (sku-1@dc-east), a part mixing letters and digits (F12,
// abc123#2, qm-4f81030b1c2084a2-1), or an upper-case prefix before a
// joiner (SKU-1001, PO-778, DC-EAST-2). "risk/9999999" and
// "risk#9999999" are none of these.
func isID(tok string) bool {
	if strings.Contains(tok, "_") {
		return true
	}
	if before, after, ok := strings.Cut(tok, "@"); ok && strings.ContainsFunc(before, isASCIILetter) && strings.ContainsFunc(after, isASCIILetter) {
		return true
	}
	parts := strings.FieldsFunc(tok, func(r rune) bool { return r == '-' || r == '/' || r == '#' || r == '@' })
	for _, p := range parts {
		if strings.ContainsFunc(p, isASCIIDigit) && strings.ContainsFunc(p, isASCIILetter) {
			return true
		}
	}
	if len(parts) > 1 {
		p := parts[0]
		return strings.ToUpper(p) == p && !strings.ContainsFunc(p, isASCIIDigit)
	}
	return false
}

// textWords are the words of the sheet's trusted text facts, lower-cased.
func textWords(sheet Sheet) map[string]bool {
	words := map[string]bool{}
	for _, f := range sheet.Facts {
		if f.Kind != Text || f.Untrusted {
			continue
		}
		for _, m := range idToken.FindAll(newDoc(f.Text).norm, -1) {
			words[strings.ToLower(strings.TrimRight(string(m), "-/#@_"))] = true
		}
	}
	return words
}

// A written date and the (month, day) pairs it can mean: 12/03 is both
// December 3 and 12 March.
type writtenDate struct {
	start, end int
	year       int      // 0 when not written
	cands      [][2]int // month, day; day 0 for a whole month ("December 2026")
}

const months = `jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?`

var (
	isoDate     = regexp.MustCompile(`\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b`)
	monthDay    = regexp.MustCompile(`(?i)\b(` + months + `)\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+((?:19|20)\d{2})\b)?`)
	dayMonth    = regexp.MustCompile(`(?i)\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(` + months + `)\b\.?(?:,?\s+((?:19|20)\d{2})\b)?`)
	monthYear   = regexp.MustCompile(`(?i)\b(` + months + `)\.?,?\s+((?:19|20)\d{2})\b`)
	numericDate = regexp.MustCompile(`\b(\d{1,2})([/.\-])(\d{1,2})(?:([/.\-])(\d{4}|\d{2}))?\b`)
)

func monthNumber(s string) int {
	s = strings.ToLower(s)
	for i, m := range []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"} {
		if strings.HasPrefix(s, m) {
			return i + 1
		}
	}
	return 0
}

// dates finds the written dates, masking each.
func (d *doc) dates() []writtenDate {
	var out []writtenDate
	add := func(start, end, year int, cands ...[2]int) {
		out = append(out, writtenDate{start: start, end: end, year: year, cands: cands})
		d.mask(start, end)
	}
	num := func(m []int, i int) int {
		if m[2*i] < 0 {
			return 0
		}
		n, _ := strconv.Atoi(string(d.w[m[2*i]:m[2*i+1]]))
		return n
	}
	for _, m := range isoDate.FindAllSubmatchIndex(d.w, -1) {
		add(m[0], m[1], num(m, 1), [2]int{num(m, 2), num(m, 3)})
	}
	for _, m := range monthDay.FindAllSubmatchIndex(d.w, -1) {
		add(m[0], m[1], num(m, 3), [2]int{monthNumber(string(d.w[m[2]:m[3]])), num(m, 2)})
	}
	for _, m := range dayMonth.FindAllSubmatchIndex(d.w, -1) {
		add(m[0], m[1], num(m, 3), [2]int{monthNumber(string(d.w[m[4]:m[5]])), num(m, 1)})
	}
	for _, m := range monthYear.FindAllSubmatchIndex(d.w, -1) {
		add(m[0], m[1], num(m, 2), [2]int{monthNumber(string(d.w[m[2]:m[3]])), 0})
	}
	for _, m := range numericDate.FindAllSubmatchIndex(d.w, -1) {
		sep := string(d.w[m[4]:m[5]])
		hasYear := m[8] >= 0
		if hasYear && string(d.w[m[8]:m[9]]) != sep {
			continue // 3-5/2026 is not a date
		}
		if !hasYear && sep != "/" {
			continue // 3-5 is a range, 3.5 a decimal; 12/03 is a date
		}
		a, b, y := num(m, 1), num(m, 3), num(m, 5)
		if hasYear && y < 100 {
			y += 2000
		}
		add(m[0], m[1], y, [2]int{a, b}, [2]int{b, a})
	}
	return out
}

func (wd writtenDate) matches(sheet Sheet) bool {
	for _, c := range wd.cands {
		if !validDay(wd.year, c[0], c[1]) {
			continue
		}
		for _, f := range sheet.Facts {
			if f.Kind != Date {
				continue
			}
			t, err := time.Parse(time.DateOnly, f.Text)
			if err != nil {
				continue
			}
			if int(t.Month()) == c[0] && (c[1] == 0 || t.Day() == c[1]) && (wd.year == 0 || t.Year() == wd.year) {
				return true
			}
		}
	}
	return false
}

func validDay(year, month, day int) bool {
	if month < 1 || month > 12 || day < 0 {
		return false
	}
	if year == 0 {
		year = 2024 // a leap year: February 29 may be meant
	}
	last := time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return day <= last
}

type unit int

const (
	unitNone unit = iota
	unitHours
	unitDays
	unitWeeks
)

// figure is one number as written.
type figure struct {
	start, end int
	written    float64 // the number as written, before scale, signed
	decimals   int     // digits written after the decimal point
	scale      float64 // 1, 1e3 (k, thousand), 1e6 (M, million), 1e9
	money      bool    // a currency sign or word goes with it
	percent    bool
	unit       unit
	plain      string    // the digits when written bare (no sign, separator, decimals, suffix)
	split      []float64 // "43 400" may also be 43 and 400
}

// figures finds the numbers of the working text.
func (d *doc) figures() []figure {
	w := d.w
	var out []figure
	for i := 0; i < len(w); {
		c := w[i]
		lead := c == '.' && i+1 < len(w) && isDigit(w[i+1]) && (i == 0 || !isAlnum(w[i-1]))
		if !isDigit(c) && !lead {
			i++
			continue
		}
		f := d.number(i)
		out = append(out, f)
		i = f.end
	}
	// A range (3-5 days, $40-45k, 90-95%) writes its unit, scale and
	// currency once; both ends carry them.
	for k := 1; k < len(out); k++ {
		a, b := &out[k-1], &out[k]
		if gap := w[a.end:b.start]; len(gap) > 5 || string(bytes.TrimSpace(gap)) != "-" {
			continue
		}
		if a.unit == unitNone {
			a.unit = b.unit
		}
		if a.scale == 1 && b.scale != 1 {
			a.scale = b.scale
		}
		a.percent = a.percent || b.percent
		a.money = a.money || b.money
		b.money = a.money
		for _, f := range []*figure{a, b} {
			if f.unit != unitNone || f.scale != 1 || f.percent || f.money {
				f.plain = ""
			}
		}
	}
	return out
}

var currencyWords = []string{"usd", "eur", "gbp"}

// number reads the number starting at i: its sign and currency before it,
// digits with separators, decimals, and the scale, percent sign or unit
// after it.
func (d *doc) number(i int) figure {
	w := d.w
	f := figure{start: i, scale: 1}
	// Before: currency, then sign.
	j := i
	if j > 0 && w[j-1] == ' ' && j > 1 && !isAlnum(w[j-2]) {
		j-- // "$ 400"
	}
	for _, sym := range []string{"$", "€", "£", "¥"} {
		if bytes.HasSuffix(w[:j], []byte(sym)) {
			f.money, j = true, j-len(sym)
			break
		}
	}
	if !f.money {
		k := j
		if k > 0 && w[k-1] == ' ' {
			k--
		}
		for _, cw := range currencyWords {
			if k >= len(cw) && bytes.EqualFold(w[k-len(cw):k], []byte(cw)) && (k == len(cw) || !isAlnum(w[k-len(cw)-1])) {
				f.money, j = true, k-len(cw)
				break
			}
		}
	}
	if f.money {
		f.start = j
	} else {
		j = i
	}
	negative := false
	if j > 0 && (w[j-1] == '-' || w[j-1] == '+') && (j == 1 || !isAlnum(w[j-1-1])) {
		negative = w[j-1] == '-'
		f.start = j - 1
	}

	// The numeral.
	k := i
	for k < len(w) && isDigit(w[k]) {
		k++
	}
	digits := string(w[i:k])
	grouped := false
	if n := k - i; n >= 1 && n <= 3 {
		for _, sep := range []byte{',', ' '} {
			var parts []string
			e := k
			for e+4 <= len(w) && w[e] == sep && allDigits(w[e+1:e+4]) && (e+4 == len(w) || !isDigit(w[e+4])) {
				parts = append(parts, string(w[e+1:e+4]))
				e += 4
			}
			if len(parts) == 0 {
				continue
			}
			if sep == ' ' {
				f.split = append(f.split, mustFloat(digits))
				for _, p := range parts {
					f.split = append(f.split, mustFloat(p))
				}
			}
			digits += strings.Join(parts, "")
			k, grouped = e, true
			break
		}
	}
	if k+1 < len(w) && w[k] == '.' && isDigit(w[k+1]) {
		e := k + 1
		for e < len(w) && isDigit(w[e]) {
			e++
		}
		f.decimals = e - k - 1
		digits += string(w[k:e])
		k = e
		f.split = nil
	}
	f.written = mustFloat(digits)
	if negative {
		f.written = -f.written
	}

	// After: percent, scale, unit, currency word.
	k = d.suffix(&f, k)
	f.end = k
	if !negative && !f.money && !grouped && f.decimals == 0 && f.scale == 1 && !f.percent && f.unit == unitNone && w[i] != '.' {
		f.plain = digits
	}
	return f
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

func mustFloat(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return math.NaN() // matches nothing
	}
	return v
}

var (
	scaleWords = map[string]float64{
		"k": 1e3, "thousand": 1e3, "thousands": 1e3,
		"m": 1e6, "mm": 1e6, "mn": 1e6, "mio": 1e6, "million": 1e6, "millions": 1e6,
		"b": 1e9, "bn": 1e9, "billion": 1e9, "billions": 1e9,
	}
	unitWords = map[string]unit{
		"h": unitHours, "hr": unitHours, "hrs": unitHours, "hour": unitHours, "hours": unitHours,
		"d": unitDays, "day": unitDays, "days": unitDays,
		"w": unitWeeks, "wk": unitWeeks, "wks": unitWeeks, "week": unitWeeks, "weeks": unitWeeks,
	}
	moneyWords = map[string]bool{"dollar": true, "dollars": true, "usd": true, "eur": true, "euro": true, "euros": true, "gbp": true}
	dayAdjs    = map[string]bool{"business": true, "working": true, "calendar": true, "more": true, "fewer": true}
)

// suffix reads what follows a numeral at k and returns where it ends.
func (d *doc) suffix(f *figure, k int) int {
	w := d.w
	word := func(at int) (string, int) {
		e := at
		for e < len(w) && isLetter(w[e]) {
			e++
		}
		return strings.ToLower(string(w[at:e])), e
	}
	skipSpace := func(at int) int {
		for at < len(w) && (w[at] == ' ' || w[at] == '\t') {
			at++
		}
		return at
	}
	// Glued: 93%, 43.4k, 19h, 3rd, 1.4x.
	if k < len(w) && w[k] == '%' {
		f.percent = true
		return k + 1
	}
	if g, e := word(k); g != "" {
		switch {
		case len(g) <= 2 && scaleWords[g] != 0:
			f.scale, k = scaleWords[g], e // a word may follow: $1.2M dollars
		case unitWords[g] != unitNone:
			f.unit = unitWords[g]
			return e
		case g == "pct":
			f.percent = true
			return e
		case g == "x" || g == "st" || g == "nd" || g == "rd" || g == "th":
			return e
		default:
			return k // 3PL, 1545units: the number is still read
		}
	}
	// Spaced: 43.4 thousand, 93 %, 93 percent, 72 hours, 3 business
	// days, 1.2 million dollars.
	for range 2 {
		at := skipSpace(k)
		if at == k {
			return k
		}
		if at < len(w) && w[at] == '%' {
			f.percent = true
			return at + 1
		}
		g, e := word(at)
		switch {
		case len(g) > 2 && scaleWords[g] != 0 && f.scale == 1:
			f.scale, k = scaleWords[g], e
			continue
		case g == "percent" || g == "pct":
			f.percent = true
			return e
		case g == "per":
			if g2, e2 := word(skipSpace(e)); g2 == "cent" {
				f.percent = true
				return e2
			}
		case len(g) > 1 && unitWords[g] != unitNone:
			f.unit = unitWords[g]
			return e
		case dayAdjs[g]:
			if g2, e2 := word(skipSpace(e)); len(g2) > 1 && unitWords[g2] == unitDays {
				f.unit = unitDays
				return e2
			}
		case moneyWords[g]:
			f.money = true
			return e
		}
		return k
	}
	return k
}

// matches reports whether a written figure stands for a fact: equal to a
// fact of a kind the way it is written allows, rounded to the precision
// written.
func (f figure) matches(sheet Sheet) bool {
	if f.plain != "" {
		for _, fact := range sheet.Facts {
			switch fact.Kind {
			case Text:
				if !fact.Untrusted && fact.Text == f.plain {
					return true // a numeric id, such as PO 778
				}
			case Date:
				if len(f.plain) == 4 && strings.HasPrefix(fact.Text, f.plain+"-") {
					return true // the year of a date
				}
			}
		}
	}
	if f.split != nil && f.alternative(sheet) {
		return true
	}
	for _, fact := range sheet.Facts {
		for _, v := range f.readings(fact) {
			if near(f.written, f.decimals, f.scale, v) {
				return true
			}
		}
	}
	return false
}

// alternative reports whether "43 400" matches read as two numbers.
func (f figure) alternative(sheet Sheet) bool {
	for _, v := range f.split {
		g := figure{written: v, scale: 1}
		if !g.matches(sheet) {
			return false
		}
	}
	return true
}

// readings are the values a fact may be written as in f's form.
func (f figure) readings(fact Fact) []float64 {
	v := fact.Value
	switch {
	case f.percent:
		if fact.Kind == Percent {
			return []float64{v * 100}
		}
	case f.money:
		if fact.Kind == Money {
			return []float64{v}
		}
	case f.unit == unitHours:
		switch fact.Kind {
		case Hours:
			return []float64{v}
		case Days:
			return []float64{v * 24}
		}
	case f.unit == unitDays:
		switch fact.Kind {
		case Days:
			return []float64{v}
		case Hours:
			return []float64{v / 24}
		}
	case f.unit == unitWeeks:
		switch fact.Kind {
		case Days:
			return []float64{v / 7}
		case Hours:
			return []float64{v / 168}
		}
	default:
		switch fact.Kind {
		case Count, Money, Days, Hours, Percent:
			return []float64{v}
		}
	}
	return nil
}

// near reports whether v, rounded to the precision written (decimals at
// scale), is the number written. A fact that is not zero is never written
// as zero.
func near(written float64, decimals int, scale, v float64) bool {
	if math.IsNaN(written) || math.IsNaN(v) || math.IsInf(v, 0) {
		return false
	}
	if written == 0 {
		return v == 0
	}
	x := v / scale
	tol := 0.5 * math.Pow(10, -float64(decimals))
	return math.Abs(x-written) <= tol*(1+1e-9)+1e-12*math.Abs(written)
}
