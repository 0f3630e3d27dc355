package keyfold

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"
)

// The tests run against a real keyfoldd: $KEYFOLDD names the binary (tests/run-go-tests.sh
// sets it to the one meson built). TestMain starts one shared in-memory daemon; tests that
// need their own flags (a token) start another with startDaemon.

var shared *daemon // nil when $KEYFOLDD is unset

func TestMain(m *testing.M) {
	code := func() int {
		if os.Getenv("KEYFOLDD") != "" {
			d, err := startDaemon()
			if err != nil {
				fmt.Fprintln(os.Stderr, "keyfold tests:", err)
				return 1
			}
			defer d.stop()
			shared = d
		}
		return m.Run()
	}()
	os.Exit(code)
}

// needDaemon returns a client of the shared daemon, or skips the test when $KEYFOLDD is unset.
func needDaemon(t *testing.T) *Client {
	t.Helper()
	if shared == nil {
		t.Skip("KEYFOLDD is not set: set it to a keyfoldd binary (meson builds build/server/keyfoldd) to run the tests against a daemon")
	}
	c, err := NewClient(shared.url)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type daemon struct {
	url  string
	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	log  []string // the last lines of its stderr, for failure messages
}

var listening = regexp.MustCompile(`listening on (http://[^\s]+)`)

// startDaemon runs $KEYFOLDD --listen 127.0.0.1:0 --durability memory [args], reads its
// stderr until "listening on http://HOST:PORT" and waits for GET /v2/health/ready = 200.
func startDaemon(args ...string) (*daemon, error) {
	bin := os.Getenv("KEYFOLDD")
	if bin == "" {
		return nil, fmt.Errorf("KEYFOLDD is not set")
	}
	cmd := exec.Command(bin, append([]string{"--listen", "127.0.0.1:0", "--durability", "memory"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	d := &daemon{cmd: cmd, done: make(chan struct{})}
	found := make(chan string, 1)
	go func() {
		// Keep reading to the end: the daemon logs a line per request and must never block
		// on a full pipe.
		defer close(d.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			d.mu.Lock()
			if d.log = append(d.log, line); len(d.log) > 50 {
				d.log = d.log[1:]
			}
			d.mu.Unlock()
			if m := listening.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	select {
	case d.url = <-found:
	case <-d.done:
		cmd.Wait()
		return nil, fmt.Errorf("keyfoldd exited before listening: %s", d.lastLog())
	case <-time.After(20 * time.Second):
		d.stop()
		return nil, fmt.Errorf("keyfoldd did not say where it listens: %s", d.lastLog())
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(d.url + "/v2/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return d, nil
			}
		}
		if time.Now().After(deadline) {
			d.stop()
			return nil, fmt.Errorf("keyfoldd at %s not ready: %v %s", d.url, err, d.lastLog())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (d *daemon) lastLog() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return fmt.Sprint(d.log)
}

// stop kills the daemon and waits for it (and for its stderr reader) to end.
func (d *daemon) stop() {
	d.cmd.Process.Kill()
	<-d.done
	d.cmd.Wait()
}

// ---------------------------------------------------------------- the JAX oracle vectors

// oracleCase is one case of tests/vectors/jax-oracle-*.json (its "notes" describe the format):
// expected values printed by real JAX and Flax, never by keyfold.
type oracleCase struct {
	ID        string                 `json:"id"`
	Op        string                 `json:"op"`
	Mode      string                 `json:"mode"`
	X64       bool                   `json:"x64"`
	Args      map[string]interface{} `json:"args"`
	DType     string                 `json:"dtype"`
	Shape     []int                  `json:"shape"`
	ExpectRaw json.RawMessage        `json:"expect"` // hex, or an object (flax_session)
	Expect    string                 `json:"-"`      // the hex, when it is one
	Tolerance json.RawMessage        `json:"tolerance"`
	Raw       json.RawMessage        `json:"-"`
}

// exact is true for a case JAX and keyfold must agree on bit for bit: tolerance "exact", or
// {"ulps": 0, ...} (normal-based cases whose log1p keyfold rounds as jaxlib 0.10.2 does).
func (c *oracleCase) exact() bool {
	var s string
	if json.Unmarshal(c.Tolerance, &s) == nil {
		return s == "exact"
	}
	var u struct {
		Ulps *int `json:"ulps"`
	}
	return json.Unmarshal(c.Tolerance, &u) == nil && u.Ulps != nil && *u.Ulps == 0
}

func (c *oracleCase) expectBytes(t *testing.T) []byte {
	t.Helper()
	b, err := hex.DecodeString(c.Expect)
	if err != nil {
		t.Fatalf("%s: expect: %v", c.ID, err)
	}
	return b
}

var (
	oracleOnce  sync.Once
	oracleCases []*oracleCase
	oracleErr   error
)

// oracleFile is the Flax 0.12 era file (jaxlib 0.10.2), relative to this module.
var oracleFile = filepath.Join("..", "..", "..", "tests", "vectors", "jax-oracle-flax-0.12.json")

func oracle(t *testing.T) []*oracleCase {
	t.Helper()
	oracleOnce.Do(func() {
		b, err := os.ReadFile(oracleFile)
		if err != nil {
			oracleErr = err
			return
		}
		var f struct {
			Format int               `json:"format"`
			Cases  []json.RawMessage `json:"cases"`
		}
		if oracleErr = json.Unmarshal(b, &f); oracleErr != nil {
			return
		}
		if f.Format != 1 {
			oracleErr = fmt.Errorf("%s: format %d, these tests read format 1", oracleFile, f.Format)
			return
		}
		for _, raw := range f.Cases {
			c := &oracleCase{Raw: raw}
			if oracleErr = json.Unmarshal(raw, c); oracleErr != nil {
				return
			}
			json.Unmarshal(c.ExpectRaw, &c.Expect) // stays "" for an object
			oracleCases = append(oracleCases, c)
		}
	})
	if oracleErr != nil {
		t.Fatalf("oracle vectors: %v", oracleErr)
	}
	return oracleCases
}

// oracleExact returns the bit-exact cases of one op, failing the test when there are none.
func oracleExact(t *testing.T, op string) []*oracleCase {
	t.Helper()
	var out []*oracleCase
	for _, c := range oracle(t) {
		if c.Op == op && c.exact() {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no exact %s case in %s", op, oracleFile)
	}
	return out
}

// oracleFind returns the case with this id (failing the test when it is missing).
func oracleFind(t *testing.T, id string) *oracleCase {
	t.Helper()
	for _, c := range oracle(t) {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("oracle case %q not found in %s", id, oracleFile)
	return nil
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustUnmarshal(t *testing.T, b []byte, v interface{}) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func execOutput(bin string, args ...string) ([]byte, error) {
	return exec.Command(bin, args...).Output()
}
