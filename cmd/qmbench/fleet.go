package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/quartermaster-ops/quartermaster/bot/config"
	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

// qmPackage is built when --bin is not given. A package path rather than
// ./cmd/quartermaster, so that the build works from any directory inside
// the module (go test runs in cmd/qmbench).
const qmPackage = "github.com/quartermaster-ops/quartermaster/cmd/quartermaster"

// Bounds on waiting for the bots.
const (
	readyLimit  = time.Minute // start-up until /readyz answers 200
	readyPoll   = 50 * time.Millisecond
	stopGrace   = 10 * time.Second // SIGTERM until SIGKILL
	httpTimeout = 2 * time.Second
	logTailSize = 20 // lines of each bot's log shown when it fails
)

// buildQuartermaster builds the bot into dir and returns the binary's path.
func buildQuartermaster(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "quartermaster")
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, qmPackage).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build %s (run qmbench inside the module, or pass --bin): %s: %w", qmPackage, bytes.TrimSpace(out), err)
	}
	return bin, nil
}

// writeConfig writes the bots' policy file into dir. It is the full dump of
// cfg, so the bots run exactly the settings the bench reports.
func writeConfig(dir string, cfg config.Config) (string, error) {
	if err := cfg.Validate(); err != nil {
		return "", fmt.Errorf("bench config: %w", err)
	}
	path := filepath.Join(dir, "quartermaster.yaml")
	data := "# Written by qmbench for one run: its own key prefix and the batch size under test.\n" + cfg.String()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		return "", fmt.Errorf("write bench config: %w", err)
	}
	return path, nil
}

// replica is one `quartermaster run` process.
type replica struct {
	name    string // its consumer name
	addr    string // its HTTP listener, on loopback
	logPath string // its stdout and stderr
	cmd     *exec.Cmd
	done    chan struct{} // closed once the process has exited
	err     error         // its exit status, set before done is closed
	stopped bool          // stop has sent it SIGTERM
}

// fleet is the bots of one run. Each replica has one goroutine waiting for
// its process, which ends when the process does; stop makes sure of that.
type fleet struct {
	replicas []*replica
	// exited receives one error for each replica that exits. drive and
	// settle read it while the bots should be running; it is buffered for
	// all of them so that the waiters never block, after stop as well.
	exited chan error
	http   *http.Client
}

// startFleet starts n bots sharing the consumer group, with distinct
// consumer names and loopback listeners.
func startFleet(bin, cfgPath, redisURL string, n int, dir string) (*fleet, error) {
	f := &fleet{
		exited: make(chan error, n),
		// A transport of its own, so stop can close its idle connections,
		// and no proxy: the bots are on loopback.
		http: &http.Client{Timeout: httpTimeout, Transport: &http.Transport{Proxy: nil}},
	}
	env := botEnv(os.Environ(), redisURL)
	for i := range n {
		r := &replica{name: "bench-" + strconv.Itoa(i+1), done: make(chan struct{})}
		port, err := redistest.FreePort()
		if err != nil {
			f.stop() // the error that matters is err
			return nil, err
		}
		r.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		r.logPath = filepath.Join(dir, r.name+".log")
		if err := f.start(r, bin, cfgPath, env); err != nil {
			f.stop() // the error that matters is err
			return nil, err
		}
	}
	return f, nil
}

func (f *fleet) start(r *replica, bin, cfgPath string, env []string) error {
	logf, err := os.Create(r.logPath)
	if err != nil {
		return fmt.Errorf("log of %s: %w", r.name, err)
	}
	// The child writes to its own copy of the descriptor.
	defer logf.Close()
	r.cmd = exec.Command(bin, "run", "--config", cfgPath, "--listen", r.addr, "--consumer", r.name)
	r.cmd.Env = env
	r.cmd.Stdout, r.cmd.Stderr = logf, logf
	// The bot dies with the bench even if the bench is killed before stop.
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := r.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	f.replicas = append(f.replicas, r)
	go func() {
		r.err = r.cmd.Wait()
		close(r.done)
		f.exited <- fmt.Errorf("%s exited unexpectedly (%v)", r.name, r.err)
	}()
	return nil
}

// botEnv is the bench's environment for the bots, with REDIS_URL pointing
// at the bench's Redis and without the chat, LLM and ingest credentials: a
// benchmark must never post to a real workspace or call a paid model.
func botEnv(environ []string, redisURL string) []string {
	drop := []string{"REDIS_URL=", "QM_CONFIG=", "QM_INGEST_TOKEN=", "SLACK_", "DISCORD_", "OPENAI_", "AZURE_OPENAI_"}
	out := make([]string, 0, len(environ)+1)
next:
	for _, kv := range environ {
		for _, p := range drop {
			if strings.HasPrefix(kv, p) {
				continue next
			}
		}
		out = append(out, kv)
	}
	return append(out, "REDIS_URL="+redisURL)
}

// waitReady waits until every bot answers GET /readyz with 200: it has
// joined the consumer group and Redis answers.
func (f *fleet) waitReady(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	tick := time.NewTicker(readyPoll)
	defer tick.Stop()
	for _, r := range f.replicas {
		for {
			_, status, err := f.fetch(ctx, r, "/readyz")
			if err == nil && status == http.StatusOK {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s not ready after %s (last answer %d, %v)%s", r.name, limit, status, err, f.logTails())
			case <-r.done:
				return fmt.Errorf("%s exited before it was ready (%v)%s", r.name, r.err, f.logTails())
			case <-tick.C:
			}
		}
	}
	return nil
}

func (f *fleet) fetch(ctx context.Context, r *replica, path string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+r.addr+path, nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := f.http.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return nil, resp.StatusCode, fmt.Errorf("read %s of %s: %w", path, r.name, err)
	}
	return buf.Bytes(), resp.StatusCode, nil
}

// The bots' metrics the bench reads.
const (
	metricEvaluations = "qm_detect_evaluations_total" // moves while a detector works through marked positions
	metricConsumed    = "qm_events_consumed_total"
	metricQuarantined = "qm_events_quarantined_total"
	metricDuplicates  = "qm_events_duplicate_total"
	metricFailed      = "qm_events_failed_total"
)

// counts sums each named metric over its series and over the bots. A name
// no bot reports is left out: counter vectors show no series until one is
// incremented.
func (f *fleet) counts(ctx context.Context, names ...string) (map[string]float64, error) {
	out := make(map[string]float64, len(names))
	for _, r := range f.replicas {
		body, status, err := f.fetch(ctx, r, "/metrics")
		if err != nil {
			return nil, fmt.Errorf("metrics of %s: %w", r.name, err)
		}
		if status != http.StatusOK {
			return nil, fmt.Errorf("metrics of %s: status %d", r.name, status)
		}
		for _, name := range names {
			if v, ok := sum(body, name); ok {
				out[name] += v
			}
		}
	}
	return out, nil
}

// sum adds up every series of the metric name in the Prometheus text
// format, and reports whether there was any.
func sum(body []byte, name string) (total float64, found bool) {
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, name)
		if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue // a comment, another metric, or one whose name merely starts with name
		}
		// The value follows the last space (series have no timestamps here).
		if v, err := strconv.ParseFloat(rest[strings.LastIndexByte(rest, ' ')+1:], 64); err == nil {
			total, found = total+v, true
		}
	}
	return total, found
}

// stop sends every running bot SIGTERM, kills those still running after
// stopGrace and waits for all of them. It reports bots that exited badly.
// Calling it again does nothing more.
func (f *fleet) stop() error {
	defer f.http.CloseIdleConnections()
	for _, r := range f.replicas {
		if !r.stopped {
			r.stopped = true
			// An error means the process is gone already; Wait reports why.
			r.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	grace := time.NewTimer(stopGrace)
	defer grace.Stop()
	expired := false
	var errs []error
	for _, r := range f.replicas {
		if !expired {
			select {
			case <-r.done:
			case <-grace.C:
				expired = true
			}
		}
		select {
		case <-r.done:
		default:
			r.cmd.Process.Kill()
			<-r.done
			errs = append(errs, fmt.Errorf("%s did not stop within %s of SIGTERM and was killed", r.name, stopGrace))
			continue
		}
		if r.err != nil {
			errs = append(errs, fmt.Errorf("%s exited with %v%s", r.name, r.err, tail(r.name, r.logPath)))
		}
	}
	f.replicas = nil
	return errors.Join(errs...)
}

// logTails is the end of every bot's log, for errors that need it.
func (f *fleet) logTails() string {
	var b strings.Builder
	for _, r := range f.replicas {
		b.WriteString(tail(r.name, r.logPath))
	}
	return b.String()
}

// tail returns the last lines of a bot's log, indented under its name.
func tail(name, path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("\n  (log of %s: %v)", name, err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	lines = lines[max(0, len(lines)-logTailSize):]
	return fmt.Sprintf("\n  last lines of %s's log:\n    %s", name, strings.Join(lines, "\n    "))
}
