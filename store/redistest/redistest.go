// Package redistest runs private redis-server instances for tests.
//
// Tests talk to a real Redis, never a fake. Each test binary starts one
// server on a free loopback port the first time a test asks for it, and
// every test gets its own key prefix, so tests can run in parallel against
// it. Set QM_TEST_REDIS_URL to use an existing server instead.
//
// When redis-server is not installed the test fails loudly: `make test`
// installs it.
package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	sharedOnce sync.Once
	shared     *Server
	sharedErr  error
	prefixes   atomic.Int64
)

// Main runs the tests of a package and stops the shared server afterwards.
// Use it from TestMain: func TestMain(m *testing.M) { redistest.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.Stop()
	}
	os.Exit(code)
}

// Client returns a client of the shared test server and a key prefix
// ("t7:") that no other test in this binary uses. The client is closed
// when the test ends.
func Client(t testing.TB) (*redis.Client, string) {
	t.Helper()
	url := os.Getenv("QM_TEST_REDIS_URL")
	if url == "" {
		sharedOnce.Do(func() { shared, sharedErr = Start() })
		if sharedErr != nil {
			t.Fatalf("redistest: %v", sharedErr)
		}
		url = shared.URL()
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("redistest: QM_TEST_REDIS_URL: %v", err)
	}
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redistest: ping %s: %v", url, err)
	}
	return c, fmt.Sprintf("t%d:", prefixes.Add(1))
}

// Server is one private redis-server process.
type Server struct {
	Port int
	cmd  *exec.Cmd
	done chan struct{}
}

// Start launches redis-server on a free loopback port with persistence off
// and waits until it answers PING.
func Start() (*Server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errors.New("redis-server not found on PATH: run `make test`, which installs it (apt-get install redis-server), or set QM_TEST_REDIS_URL")
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	s := &Server{Port: port}
	return s, s.start(bin)
}

func (s *Server) start(bin string) error {
	s.cmd = exec.Command(bin,
		"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no",
		"--dir", os.TempDir(), "--logfile", "")
	// The server dies with the test binary even if Stop is never called.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	s.done = make(chan struct{})
	go func() { s.cmd.Wait(); close(s.done) }()
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := c.Ping(context.Background()).Err(); err == nil {
			return nil
		} else if time.Now().After(deadline) {
			s.Stop()
			return fmt.Errorf("redis-server on port %d did not answer: %w", s.Port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Addr is host:port of the server.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// URL is the server's redis:// URL.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Stop kills the server and waits for it to exit.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.done
}

// Restart stops the server and starts it again on the same port, empty,
// as a crashed Redis without persistence comes back.
func (s *Server) Restart() error {
	s.Stop()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return err
	}
	return s.start(bin)
}

// FreePort asks the kernel for a free loopback port. Another process could
// take it before the caller binds it; callers then fail and say so.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
