package main

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/quartermaster-ops/quartermaster/store/audit"
)

func newAudit(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Verify or read the hash-chained audit log of acks, approvals and executions",
		Long: `The audit log records every acknowledgement, snooze, assignment, proposal,
approval, rejection and execution: who, when, what, about which alert and
from which chat message. Each entry carries the hash of the one before it,
so an entry edited, deleted, reordered or cut off the end is detected.

Someone with full write access to Redis can rewrite the whole log and its
head consistently. Record the head that verify prints somewhere they cannot
write (a daily message, a ticket) and check it later with --expect-head.`,
	}
	var expect string
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Check every entry's hash and link and the head; exit non-zero on the first problem",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var anchors []string
			if expect != "" {
				if b, err := hex.DecodeString(expect); err != nil || len(b) != 32 {
					return usageError{fmt.Errorf("--expect-head %q: want the 64 hex digits of a head hash", expect)}
				}
				anchors = append(anchors, expect)
			}
			st, done, err := openStore(cmd, g)
			if err != nil {
				return err
			}
			defer done()
			auditLog := audit.New(st.Client(), st.Keys().Prefix(), audit.Options{})
			rep, err := auditLog.Verify(cmd.Context(), anchors...)
			if err != nil {
				return err
			}
			if !rep.OK() {
				return fmt.Errorf("audit log %s is broken after %d good entries: %s", auditLog.Stream(), rep.Head.Seq, rep.Problem)
			}
			fmt.Fprintln(g.stdout, rep)
			for _, a := range rep.Anchors {
				fmt.Fprintf(g.stdout, "expected head found at seq %d\n", a.Seq)
			}
			return nil
		},
	}
	verify.Flags().StringVar(&expect, "expect-head", "", "a head hash recorded earlier that the log must still contain")
	var limit int64
	list := &cobra.Command{
		Use:   "list",
		Short: "Print the last entries of the audit log, oldest first",
		Long: `List prints the last --limit entries as stored, without checking the
chain; run verify for that.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit <= 0 {
				return usageError{fmt.Errorf("--limit %d: want a positive number of entries", limit)}
			}
			st, done, err := openStore(cmd, g)
			if err != nil {
				return err
			}
			defer done()
			es, err := audit.New(st.Client(), st.Keys().Prefix(), audit.Options{}).Last(cmd.Context(), limit)
			for _, e := range es {
				fmt.Fprintln(g.stdout, formatAuditEntry(e))
			}
			return err
		},
	}
	list.Flags().Int64Var(&limit, "limit", 20, "print at most this many entries")
	cmd.AddCommand(verify, list)
	return cmd
}

// formatAuditEntry puts one entry on one line, empty parts left out, with
// a short hash to match against verify's output.
func formatAuditEntry(e audit.Entry) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d  %s  %s by %s", e.Seq, e.At.UTC().Format("2006-01-02T15:04:05.000Z"), e.Action, e.Actor)
	if e.Role != "" {
		fmt.Fprintf(&b, " (%s)", e.Role)
	}
	if e.Alert != "" {
		fmt.Fprintf(&b, "  alert %s", e.Alert)
	}
	if e.Target != "" {
		fmt.Fprintf(&b, "  target %s", e.Target)
	}
	keys := make([]string, 0, len(e.Params))
	for k := range e.Params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "  %s=%q", k, e.Params[k])
	}
	if src := strings.Join(slices.DeleteFunc([]string{e.Source.Platform, e.Source.Channel, e.Source.Message}, func(s string) bool { return s == "" }), " "); src != "" {
		fmt.Fprintf(&b, "  from %s", src)
	}
	fmt.Fprintf(&b, "  [%s %.12s]", e.ID, e.Hash)
	return b.String()
}
