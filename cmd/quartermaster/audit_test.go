package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/quartermaster-ops/quartermaster/store/audit"
	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

// auditCLI runs the audit command in-process. It builds the command
// itself rather than going through newRoot, so it does not depend on how
// the root registers it.
func auditCLI(ctx context.Context, env map[string]string, args ...string) (stdout string, err error) {
	var out, errb syncBuffer
	g := &globals{logLevel: "info", stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] }}
	cmd := newAudit(g)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetArgs(args)
	err = cmd.ExecuteContext(ctx)
	return out.String(), err
}

func TestAuditCommands(t *testing.T) {
	srv, err := redistest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	env := map[string]string{"REDIS_URL": srv.URL()}
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { rdb.Close() })

	if out, err := auditCLI(ctx, env, "verify"); err != nil || out != "audit log OK: 0 entries, head 0 "+audit.Genesis+"\n" {
		t.Errorf("verify empty: %v\n%s", err, out)
	}

	at := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	l := audit.New(rdb, "qm:", audit.Options{Now: func() time.Time { return at }})
	var last audit.Entry
	for i, action := range []string{audit.Propose, audit.Approve, audit.Execute} {
		last, err = l.Append(ctx, audit.Entry{
			Actor: "U7", Role: "planner", Action: action, Alert: "stockout:SKU9@DC1", Target: "PO-1",
			Params: map[string]string{"qty": "500"},
			Source: audit.Source{Platform: "slack", Channel: "C1", Message: fmt.Sprintf("1763625600.00000%d", i)},
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	out, err := auditCLI(ctx, env, "verify", "--expect-head", last.Hash)
	want := fmt.Sprintf("audit log OK: 3 entries, head 3 %s\nexpected head found at seq 3\n", last.Hash)
	if err != nil || out != want {
		t.Errorf("verify: %v\n%s\nwant\n%s", err, out, want)
	}

	out, err = auditCLI(ctx, env, "list", "--limit", "2")
	if err != nil || strings.Count(out, "\n") != 2 || strings.Contains(out, "propose") {
		t.Errorf("list --limit 2: %v\n%s", err, out)
	}
	wantLine := fmt.Sprintf(`#3  2026-11-20T08:00:00.000Z  execute by U7 (planner)  alert stockout:SKU9@DC1  target PO-1  qty="500"  from slack C1 1763625600.000002  [%s %.12s]`, last.ID, last.Hash)
	if !strings.Contains(out, wantLine+"\n") {
		t.Errorf("list lacks\n%s\nin\n%s", wantLine, out)
	}

	other := strings.Repeat("0f", 32)
	if _, err := auditCLI(ctx, env, "verify", "--expect-head", other); err == nil || !strings.Contains(err.Error(), "expected head "+other+" is not in the log (rewritten)") {
		t.Errorf("verify with a foreign head: %v", err)
	}
	var u usageError
	if _, err := auditCLI(ctx, env, "verify", "--expect-head", "abc"); !errors.As(err, &u) {
		t.Errorf("verify with a malformed head: %v, want a usage error", err)
	}

	rdb.XTrimMaxLen(ctx, "qm:audit", 2)
	_, err = auditCLI(ctx, env, "verify")
	if err == nil || err.Error() != "audit log qm:audit is broken after 0 good entries: log starts at entry 2 (stream id "+firstID(t, rdb)+"), not 1 (deleted)" {
		t.Errorf("verify a trimmed log: %v", err)
	}
}

func firstID(t *testing.T, rdb *redis.Client) string {
	t.Helper()
	msgs, err := rdb.XRangeN(context.Background(), "qm:audit", "-", "+", 1).Result()
	if err != nil || len(msgs) == 0 {
		t.Fatalf("read qm:audit: %v", err)
	}
	return msgs[0].ID
}
