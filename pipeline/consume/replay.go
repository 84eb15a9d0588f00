package consume

import (
	"context"
	"fmt"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/event"
	"github.com/quartermaster-ops/quartermaster/store"
)

// ReplayStats counts what a replay did.
type ReplayStats struct {
	Entries, Applied, Duplicates, Refused, Failed int
	Last                                          string // the last entry id read
}

// Replay rebuilds state from the raw event stream into dst (a fresh state
// generation), in stream order, through the same Processor the live
// consumer uses, so the same entries give the same state. Refused entries
// were quarantined when they first arrived and are only counted here.
// progress, if not nil, is called after every page.
func Replay(ctx context.Context, dst *store.Store, page int64, progress func(ReplayStats)) (ReplayStats, error) {
	var st ReplayStats
	if err := dst.LoadScripts(ctx); err != nil {
		return st, err
	}
	proc := NewProcessor(dst, "replay", time.Now)
	for {
		entries, err := dst.Range(ctx, st.Last, page)
		if err != nil {
			return st, err
		}
		if len(entries) == 0 {
			return st, nil
		}
		out, err := proc.Process(ctx, entries)
		if err != nil {
			return st, fmt.Errorf("replay after %s: %w", st.Last, err)
		}
		st.Entries += len(entries)
		for _, n := range out.Applied {
			st.Applied += n
		}
		st.Duplicates += out.Duplicates
		st.Refused += len(out.Quarantine)
		st.Failed += len(out.Failed)
		st.Last = entries[len(entries)-1].ID
		if progress != nil {
			progress(st)
		}
	}
}

// ResubmitStats counts what a quarantine replay did.
type ResubmitStats struct {
	Seen, Resubmitted, StillMissing, NotReferential, AlreadyReplayed int
}

// ResubmitQuarantine re-submits to the event stream each quarantined event
// whose only fault was a missing reference that now exists. Each record is
// re-submitted once; the consumer drops copies by event id. With dryRun it
// only counts.
func ResubmitQuarantine(ctx context.Context, st *store.Store, dryRun bool, each func(q store.Quarantined, outcome string)) (ResubmitStats, error) {
	var out ResubmitStats
	after := ""
	for {
		recs, err := st.QuarantineList(ctx, after, 500)
		if err != nil {
			return out, err
		}
		if len(recs) == 0 {
			return out, nil
		}
		after = recs[len(recs)-1].ID
		ids := make([]string, len(recs))
		for i, q := range recs {
			ids[i] = q.ID
		}
		done, err := st.Replayed(ctx, ids)
		if err != nil {
			return out, err
		}
		for _, q := range recs {
			out.Seen++
			outcome, err := resubmitOne(ctx, st, q, done[q.ID], dryRun)
			if err != nil {
				return out, err
			}
			switch outcome {
			case "resubmitted":
				out.Resubmitted++
			case "still missing":
				out.StillMissing++
			case "not referential":
				out.NotReferential++
			case "already replayed":
				out.AlreadyReplayed++
			}
			if each != nil {
				each(q, outcome)
			}
		}
	}
}

func resubmitOne(ctx context.Context, st *store.Store, q store.Quarantined, done, dryRun bool) (string, error) {
	if !event.Reason(q.Reason).Referential() {
		return "not referential", nil
	}
	if done {
		return "already replayed", nil
	}
	// Judge "future" against when it was first quarantined, as then.
	ev, err := event.Decode(q.Raw, q.At)
	if err != nil {
		return "not referential", nil
	}
	p := NewProcessor(st, "quarantine-replay", time.Now)
	found, err := p.lookup(ctx, []item{{ev: ev}})
	if err != nil {
		return "", err
	}
	if _, rerr := resolve(&ev, found); rerr != nil {
		return "still missing", nil
	}
	if dryRun {
		return "resubmitted", nil
	}
	if err := st.Resubmit(ctx, q); err != nil {
		return "", err
	}
	return "resubmitted", nil
}
