package store_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/quartermaster-ops/quartermaster/pipeline/event"
	"github.com/quartermaster-ops/quartermaster/store"
	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

// clusterClient starts a one-node Redis Cluster that owns every slot and
// returns a cluster client of it. One node is enough for what a cluster
// adds to Apply: the server refuses a script whose keys are not all on one
// slot (CROSSSLOT), and the client routes by slot.
func clusterClient(t *testing.T) *redis.ClusterClient {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("QM_TEST_REDIS_URL") != "" {
			t.Skip("redis-server is not installed; QM_TEST_REDIS_URL names a server, not a cluster")
		}
		t.Fatal("redis-server not found on PATH: run `make test`, which installs it")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", "", "--dir", dir,
		"--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(dir, "nodes.conf"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	ctx := context.Background()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	node := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer node.Close()
	ready := func(what string, ok func() bool) {
		for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("cluster node on %s: %s", addr, what)
			}
		}
	}
	ready("no answer", func() bool { return node.Ping(ctx).Err() == nil })
	if err := node.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err(); err != nil {
		t.Fatal(err)
	}
	ready("cluster state not ok", func() bool {
		info, err := node.ClusterInfo(ctx).Result()
		return err == nil && strings.Contains(info, "cluster_state:ok")
	})
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}})
	t.Cleanup(func() { c.Close() })
	return c
}

// On Redis Cluster a script call holds one position; the state and the
// results are those of one call per event on a single Redis, and the ops
// of a position keep their order across the calls it needs.
func TestApplyCluster(t *testing.T) {
	ctx := context.Background()
	c := clusterClient(t)
	st := store.New(c, "qm:", 1, store.Options{})
	// The server does refuse keys of two positions in one script, so this
	// test would fail if Apply batched as it does on a single Redis.
	err := c.Eval(ctx, "return 1", []string{st.Keys().Pos("A@DC1"), st.Keys().Pos("B@DC1")}).Err()
	if !redis.HasErrorPrefix(err, "CROSSSLOT") {
		t.Fatalf("a script over two positions: %v, want CROSSSLOT", err)
	}

	ops := genOps(genOptions{seed: 1, n: 1500, positions: 120, master: true, redeliver: true})
	var hot []store.Op // more ops than one call takes, of the same event time: the last wins
	for i := range 600 {
		hot = append(hot, store.Op{SKUSite: "HOT@DC1", Qty: float64(i), Event: event.Event{ID: fmt.Sprintf("h%d", i),
			Type: event.InventorySnapshot, OccurredAt: t0, SKU: "HOT", Site: "DC1", OnHand: event.Num(float64(i))}})
	}
	ops = interleave(hot, ops)
	want := wantApplied(ops)
	checkResults(t, ops, apply(t, st, ops), want)

	rdb, prefix := redistest.Client(t)
	ref := store.New(rdb, prefix, 1, store.Options{})
	checkResults(t, ops, applyOneByOne(t, ref, ops), want)
	sameState(t, dump(t, st), dump(t, ref))
	p, err := st.Position(ctx, "HOT@DC1")
	if err != nil {
		t.Fatal(err)
	}
	if p.OnHand != 599 {
		t.Errorf("hot position on hand = %v, want 599: the last op of the same event time wins", p.OnHand)
	}
}
