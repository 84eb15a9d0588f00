package consume

import (
	"bytes"
	"encoding/json"

	"github.com/quartermaster-ops/quartermaster/store"
)

// feedEntries says what became of each entry of a committed batch, by
// source, for the feed statistics (see store.Settle). Entries neither done
// nor quarantined (failed, deferred) count as arrivals only.
func feedEntries(b *Batch, out Outcome) []store.FeedEntry {
	done := make(map[string]bool, len(out.Done))
	for _, id := range out.Done {
		done[id] = true
	}
	refused := make(map[string]*store.Quarantined, len(out.Quarantine))
	for i := range out.Quarantine {
		refused[out.Quarantine[i].Entry] = &out.Quarantine[i]
	}
	fs := make([]store.FeedEntry, len(b.items))
	for i := range b.items {
		it := &b.items[i]
		f := store.FeedEntry{Arrived: it.entry.Arrived}
		switch q := refused[it.entry.ID]; {
		case q != nil:
			f.Source, f.Status, f.Reason = q.Source, store.FeedQuarantined, q.Reason
		case done[it.entry.ID]:
			f.Source, f.Status, f.Occurred = it.ev.Source, store.FeedAccepted, it.ev.OccurredAt
			if it.ev.SKUSite() != "" {
				f.Site = it.ev.Site // the feed sends for this site's stock positions
			}
		default:
			f.Source = itemSource(it)
		}
		fs[i] = f
	}
	return fs
}

// itemSource names the producer of an entry: the envelope's source when the
// event decoded, else what a lenient read of the raw bytes finds.
func itemSource(it *item) string {
	if it.ev.Source != "" {
		return store.FeedSource(it.ev.Source)
	}
	return store.FeedSource(rawSource(it.entry.Body))
}

// rawSource reads the top-level "source" string of a JSON object that
// may be invalid or cut off: a record truncated by a dropped connection
// usually still names its producer before the damage. It returns "" when
// no source string comes before the damage.
func rawSource(raw []byte) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	for dec.More() {
		t, err := dec.Token()
		key, ok := t.(string)
		if err != nil || !ok {
			return ""
		}
		if key == "source" {
			v, err := dec.Token()
			if s, ok := v.(string); err == nil && ok {
				return s
			}
			return ""
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return ""
		}
	}
	return ""
}
