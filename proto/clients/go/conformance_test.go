package keyfold

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// The conformance runner of proto/conformance/README.md: every scenario file replayed through
// this client's typed API, results normalized to the README's JSON forms and matched against
// the expectations. It runs the shared scenarios and this module's own (testdata/scenarios).

var scenarioDirs = []string{
	filepath.Join("..", "..", "conformance", "scenarios"),
	filepath.Join("testdata", "scenarios"),
}

type scenario struct {
	Format int                    `json:"format"`
	Name   string                 `json:"name"`
	Daemon map[string]interface{} `json:"daemon"`
	Steps  []map[string]json.RawMessage
	file   string
}

func loadScenario(path string) (*scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var sc scenario
	if err := json.Unmarshal(b, &sc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sc.file = path
	if sc.Format != 1 {
		return nil, fmt.Errorf("%s: format %d, this runner reads format 1", path, sc.Format)
	}
	if d, ok := sc.Daemon["durability"]; ok && d != "memory" {
		return nil, fmt.Errorf("%s: wants durability %v; runners start one daemon with --durability memory", path, d)
	}
	return &sc, nil
}

// decodeNumbers reads JSON keeping numbers as json.Number (exact integers such as uint32 keys
// and int64 seeds, and float text passed on to the daemon as written).
func decodeNumbers(raw json.RawMessage) (interface{}, error) {
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	var v interface{}
	err := d.Decode(&v)
	return v, err
}

// substitute replaces {{run}} in every string of v.
func substitute(v interface{}, run string) interface{} {
	switch x := v.(type) {
	case string:
		return strings.ReplaceAll(x, "{{run}}", run)
	case []interface{}:
		out := make([]interface{}, len(x))
		for i, e := range x {
			out[i] = substitute(e, run)
		}
		return out
	case map[string]interface{}:
		out := make(map[string]interface{}, len(x))
		for k, e := range x {
			out[k] = substitute(e, run)
		}
		return out
	}
	return v
}

// runScenario replays every step in order and returns the first failure.
func runScenario(ctx context.Context, c *Client, sc *scenario, run string) error {
	for i, st := range sc.Steps {
		if err := runStep(ctx, c, st, run); err != nil {
			var call string
			json.Unmarshal(st["call"], &call)
			return fmt.Errorf("%s step %d (%s): %w", filepath.Base(sc.file), i, call, err)
		}
	}
	return nil
}

func runStep(ctx context.Context, c *Client, st map[string]json.RawMessage, run string) error {
	var call string
	if err := json.Unmarshal(st["call"], &call); err != nil {
		return fmt.Errorf("no call: %v", err)
	}
	args := map[string]interface{}{}
	if raw, ok := st["args"]; ok {
		v, err := decodeNumbers(raw)
		if err != nil {
			return err
		}
		m, ok := substitute(v, run).(map[string]interface{})
		if !ok {
			return fmt.Errorf("args is not an object")
		}
		args = m
	}
	op, ok := operations[call]
	if !ok {
		return fmt.Errorf("unknown call %q", call)
	}
	a := &argReader{m: args}
	got, callErr := op(ctx, c, a)
	if a.err != nil {
		return fmt.Errorf("args: %w", a.err)
	}
	if raw, ok := st["error"]; ok {
		var want struct {
			Status  int    `json:"status"`
			Code    string `json:"code"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(raw, &want); err != nil {
			return err
		}
		return matchError(callErr, want.Status, want.Code, want.Message)
	}
	if callErr != nil {
		return callErr
	}
	raw, ok := st["expect"]
	if !ok {
		return nil
	}
	want, err := decodeNumbers(raw)
	if err != nil {
		return err
	}
	// the actual result through JSON too, so both sides hold the same kinds of values
	b, err := json.Marshal(got)
	if err != nil {
		return err
	}
	actual, err := decodeNumbers(b)
	if err != nil {
		return err
	}
	return match("result", substitute(want, run), actual)
}

// matchError checks the client raised its typed error for the code: an *Error with the status,
// the code and the server's message, that errors.Is matches to the code's sentinel.
func matchError(err error, status int, code, message string) error {
	if err == nil {
		return fmt.Errorf("succeeded; expected %d %s", status, code)
	}
	var e *Error
	if !errors.As(err, &e) {
		return fmt.Errorf("expected a *keyfold.Error %d %s, got %T: %v", status, code, err, err)
	}
	if e.Status != status || e.Code != code {
		return fmt.Errorf("expected %d %s, got %d %s: %s", status, code, e.Status, e.Code, e.Message)
	}
	if s := SentinelFor(code); s == nil || !errors.Is(err, s) {
		return fmt.Errorf("%s is not matched by a sentinel of the client", code)
	}
	if e.Message == "" || !strings.Contains(e.Message, message) {
		return fmt.Errorf("message %q does not hold %q", e.Message, message)
	}
	return nil
}

// match is the README's rule: objects match when every expected key is present and matches
// (extra actual keys are ignored), arrays element by element with equal length, numbers,
// strings, booleans and null by equality.
func match(path string, want, got interface{}) error {
	switch w := want.(type) {
	case map[string]interface{}:
		g, ok := got.(map[string]interface{})
		if !ok {
			return fmt.Errorf("%s: expected an object, got %s", path, show(got))
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			gv, ok := g[k]
			if !ok {
				return fmt.Errorf("%s.%s: missing", path, k)
			}
			if err := match(path+"."+k, w[k], gv); err != nil {
				return err
			}
		}
		return nil
	case []interface{}:
		g, ok := got.([]interface{})
		if !ok || len(g) != len(w) {
			return fmt.Errorf("%s: expected %s, got %s", path, show(want), show(got))
		}
		for i := range w {
			if err := match(fmt.Sprintf("%s[%d]", path, i), w[i], g[i]); err != nil {
				return err
			}
		}
		return nil
	case json.Number:
		g, ok := got.(json.Number)
		if !ok || !sameNumber(w, g) {
			return fmt.Errorf("%s: expected %s, got %s", path, w, show(got))
		}
		return nil
	default: // string, bool, nil
		if want != got {
			return fmt.Errorf("%s: expected %s, got %s", path, show(want), show(got))
		}
		return nil
	}
}

func sameNumber(a, b json.Number) bool {
	if x, err := a.Int64(); err == nil {
		if y, err := b.Int64(); err == nil {
			return x == y
		}
	}
	x, err1 := a.Float64()
	y, err2 := b.Float64()
	return err1 == nil && err2 == nil && x == y
}

func show(v interface{}) string {
	b, _ := json.Marshal(v)
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}

// ------------------------------------------------------------------ arguments

// argReader reads typed arguments, remembering the first problem.
type argReader struct {
	m   map[string]interface{}
	err error
}

func (a *argReader) fail(format string, v ...interface{}) {
	if a.err == nil {
		a.err = fmt.Errorf(format, v...)
	}
}

func (a *argReader) has(k string) bool { _, ok := a.m[k]; return ok && a.m[k] != nil }

func (a *argReader) str(k string) string {
	v, ok := a.m[k]
	if !ok || v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		a.fail("%s is not a string", k)
	}
	return s
}

// asInt reads a JSON integer decoded as json.Number.
func asInt(v interface{}) (int64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("%v is not a number", v)
	}
	return n.Int64()
}

func (a *argReader) int(k string) int {
	if !a.has(k) {
		return 0
	}
	i, err := asInt(a.m[k])
	if err != nil {
		a.fail("%s: %v", k, err)
	}
	return int(i)
}

// list reads the array k element by element with conv (nil when k is absent).
func list[T any](a *argReader, k string, conv func(interface{}) (T, error)) []T {
	v, ok := a.m[k].([]interface{})
	if !ok {
		return nil
	}
	out := make([]T, len(v))
	for i, e := range v {
		var err error
		if out[i], err = conv(e); err != nil {
			a.fail("%s[%d]: %v", k, i, err)
		}
	}
	return out
}

func (a *argReader) ints(k string) []int {
	return list(a, k, func(v interface{}) (int, error) { i, err := asInt(v); return int(i), err })
}

func (a *argReader) strs(k string) []string {
	return list(a, k, func(v interface{}) (string, error) {
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("%v is not a string", v)
		}
		return s, nil
	})
}

func (a *argReader) obj(k string) map[string]interface{} {
	v, _ := a.m[k].(map[string]interface{})
	return v
}

// tensor reads a normalized tensor {"dtype", "shape", "hex"} into a typed Tensor.
func (a *argReader) tensor(k string) *Tensor {
	t, err := tensorFromNormalized(a.m[k])
	if err != nil {
		a.fail("%s: %v", k, err)
	}
	return t
}

func tensorFromNormalized(v interface{}) (*Tensor, error) {
	m, ok := v.(map[string]interface{})
	if !ok {
		return nil, fmt.Errorf("not a tensor object")
	}
	dtype, _ := m["dtype"].(string)
	h, _ := m["hex"].(string)
	b, err := hex.DecodeString(h)
	if err != nil {
		return nil, err
	}
	r := argReader{m: m}
	shape := r.ints("shape")
	if shape == nil || r.err != nil {
		return nil, fmt.Errorf("bad shape %v", m["shape"])
	}
	return TensorFromBytes(DType(dtype), shape, b)
}

// body turns a request object of the scenario into one for the client: normalized tensors
// (objects with exactly dtype, shape and hex) become *Tensor, everything else stays as
// written (json.Number is sent as its text).
func body(v interface{}) (interface{}, error) {
	switch x := v.(type) {
	case map[string]interface{}:
		if _, ok := x["hex"]; ok && len(x) == 3 && x["dtype"] != nil && x["shape"] != nil {
			return tensorFromNormalized(x)
		}
		out := make(map[string]interface{}, len(x))
		for k, e := range x {
			var err error
			if out[k], err = body(e); err != nil {
				return nil, err
			}
		}
		return out, nil
	case []interface{}:
		out := make([]interface{}, len(x))
		for i, e := range x {
			var err error
			if out[i], err = body(e); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return v, nil
}

func (a *argReader) body(k string) map[string]interface{} {
	v, err := body(a.obj(k))
	if err != nil {
		a.fail("%s: %v", k, err)
		return nil
	}
	m, _ := v.(map[string]interface{})
	return m
}

func (a *argReader) seeds(k string) map[string]SeedOrKey {
	m := a.obj(k)
	if m == nil {
		return nil
	}
	out := map[string]SeedOrKey{}
	for s, v := range m {
		switch x := v.(type) {
		case json.Number:
			n, err := asInt(x)
			if err != nil {
				a.fail("%s.%s: %v", k, s, err)
			}
			out[s] = Seed(n)
		case []interface{}:
			var key Key
			if len(x) != 2 {
				a.fail("%s.%s is not [hi, lo]", k, s)
				continue
			}
			for i := range key {
				u, err := asInt(x[i])
				if err != nil {
					a.fail("%s.%s: %v", k, s, err)
				}
				key[i] = uint32(u)
			}
			out[s] = FromKey(key)
		default:
			a.fail("%s.%s is neither a seed nor a key", k, s)
		}
	}
	return out
}

func (a *argReader) layers(k string) []Layer {
	m := a.obj(k)
	if m == nil {
		return nil
	}
	list, _ := m["layers"].([]interface{})
	out := make([]Layer, len(list))
	for i, l := range list {
		out[i], _ = l.(map[string]interface{})
	}
	return out
}

func (a *argReader) options(k string) Options {
	m := a.obj(k)
	var o Options
	o.Threefry, _ = m["threefry"].(string)
	o.Flax, _ = m["flax"].(string)
	for name := range m {
		if name != "threefry" && name != "flax" {
			a.fail("%s.%s: an option this client does not know", k, name)
		}
	}
	return o
}

// ------------------------------------------------------------------ normalized results

func normTensor(t *Tensor) (map[string]interface{}, error) {
	b, err := t.Bytes()
	if err != nil {
		return nil, err
	}
	return map[string]interface{}{"dtype": string(t.DType), "shape": t.Shape, "hex": hex.EncodeToString(b)}, nil
}

// normSession rebuilds the API's session object from the typed Session.
func normSession(s *Session) map[string]interface{} {
	rngs := map[string]interface{}{}
	for k, v := range s.Rngs {
		rngs[k] = map[string]interface{}{"key": v.Key, "count": v.Count}
	}
	var model interface{}
	if s.Model != nil {
		params := make([]interface{}, len(s.Model.Params))
		for i, p := range s.Model.Params {
			layer := map[string]interface{}{}
			for name, spec := range p {
				layer[name] = map[string]interface{}{"shape": spec.Shape, "dtype": string(spec.DType)}
			}
			params[i] = layer
		}
		variables := map[string]interface{}{}
		for path, v := range s.Model.Variables {
			variables[path] = map[string]interface{}{"kind": v.Kind, "shape": v.Shape, "dtype": string(v.DType)}
		}
		model = map[string]interface{}{"layers": s.Model.Layers, "params": params, "variables": variables}
	}
	return map[string]interface{}{
		"name": s.Name, "rngs": rngs, "model": model,
		"options": map[string]interface{}{"threefry": s.Options.Threefry, "flax": s.Options.Flax},
	}
}

func sessionResult(s *Session, err error) (interface{}, error) {
	if err != nil {
		return nil, err
	}
	return normSession(s), nil
}

func tensorResult(t *Tensor, err error) (interface{}, error) {
	if err != nil {
		return nil, err
	}
	return normTensor(t)
}

// operations maps each call of the README onto the client's methods.
var operations = map[string]func(context.Context, *Client, *argReader) (interface{}, error){
	"create_session": func(ctx context.Context, c *Client, a *argReader) (interface{}, error) {
		spec := SessionSpec{Name: a.str("name"), Rngs: a.seeds("rngs"), Model: a.layers("model"), Options: a.options("options")}
		if a.err != nil {
			return nil, nil
		}
		return sessionResult(c.CreateSession(ctx, spec))
	},
	"get_session": func(ctx context.Context, c *Client, a *argReader) (interface{}, error) {
		return sessionResult(c.GetSession(ctx, a.str("name")))
	},
	"delete_session": func(ctx context.Context, c *Client, a *argReader) (interface{}, error) {
		return nil, c.DeleteSession(ctx, a.str("name"))
	},
	"list_sessions": func(ctx context.Context, c *Client, a *argReader) (interface{}, error) {
		it := c.Sessions(ctx, a.str("prefix"), a.int("page_size"))
		names := []string{}
		for it.Next() {
			names = append(names, it.Name())
		}
		return names, it.Err()
	},
	"keys": func(ctx context.Context, c *Client, a *argReader) (interface{}, error) {
		n := 1 // the API's default
		if a.has("n") {
			n = a.int("n")
		}
		d, err := c.Keys(ctx, a.str("name"), a.str("stream"), n)
		if err != nil {
			return nil, err
		}
		return map[string]interface{}{"stream": d.Stream, "source": d.Source, "counts": d.Counts, "keys": d.Keys}, nil
	},
	"sample": func(ctx context.Context, c *Client, a *argReader) (interface{}, error) {
		r := SampleRequest{Distribution: a.str("distribution"), Stream: a.str("stream"), Params: a.body("params")}
		if a.has("shape") {
			r.Shape = a.ints("shape")
		}
		s, err := c.Sample(ctx, a.str("name"), r)
		if err != nil {
			return nil, err
		}
		return normTensor(&s.Tensor)
	},
	"forward": func(ctx context.Context, c *Client, a *argReader) (interface{}, error) {
		opt := &ForwardOptions{Npy: a.str("encoding") == "npy"}
		if enc := a.str("encoding"); enc != "" && enc != "json" && enc != "npy" {
			a.fail("encoding %q", enc)
		}
		if a.has("deterministic") {
			d, ok := a.m["deterministic"].(bool)
			if !ok {
				a.fail("deterministic is not a boolean")
			}
			opt.Deterministic = BoolPtr(d)
		}
		x := a.tensor("x")
		if a.err != nil {
			return nil, nil
		}
		return tensorResult(c.Forward(ctx, a.str("name"), x, opt))
	},
	"reseed": func(ctx context.Context, c *Client, a *argReader) (interface{}, error) {
		return sessionResult(c.Reseed(ctx, a.str("name"), a.seeds("streams"),
			&ReseedOptions{Target: a.str("target"), Policy: a.str("policy")}))
	},
	"fork": func(ctx context.Context, c *Client, a *argReader) (interface{}, error) {
		return sessionResult(c.Fork(ctx, a.str("name"), ForkSpec{Child: a.str("child"), Streams: a.strs("streams")}))
	},
	"params": func(ctx context.Context, c *Client, a *argReader) (interface{}, error) {
		ps, err := c.Params(ctx, a.str("name"))
		if err != nil {
			return nil, err
		}
		out := make([]interface{}, len(ps))
		for i, layer := range ps {
			m := map[string]interface{}{}
			for k, t := range layer {
				if m[k], err = normTensor(t); err != nil {
					return nil, err
				}
			}
			out[i] = m
		}
		return out, nil
	},
	"random": func(ctx context.Context, c *Client, a *argReader) (interface{}, error) {
		r, err := c.Random(ctx, a.str("op"), a.body("args"))
		switch {
		case err != nil:
			return nil, err
		case r.Key != nil:
			return r.Key, nil
		case r.Keys != nil:
			return r.Keys, nil
		}
		return normTensor(r.Tensor)
	},
	"npy_encode": func(ctx context.Context, c *Client, a *argReader) (interface{}, error) {
		t := a.tensor("tensor")
		if a.err != nil {
			return nil, nil
		}
		b, err := EncodeNpy(t)
		return map[string]interface{}{"hex": hex.EncodeToString(b)}, err
	},
	"npy_decode": func(ctx context.Context, c *Client, a *argReader) (interface{}, error) {
		b, err := hex.DecodeString(a.str("hex"))
		if err != nil {
			return nil, err
		}
		return tensorResult(DecodeNpy(b))
	},
}

// runToken is the README's {{run}}: [a-z0-9]{8}, new for each scenario run.
func runToken() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	r := rand.New(rand.NewSource(time.Now().UnixNano()))
	b := make([]byte, 8)
	for i := range b {
		b[i] = alphabet[r.Intn(len(alphabet))]
	}
	return string(b)
}

func TestConformance(t *testing.T) {
	c := needDaemon(t)
	total := 0
	for _, dir := range scenarioDirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Logf("no scenarios in %s", dir)
		}
		for _, f := range files {
			total++
			t.Run(filepath.Base(filepath.Dir(filepath.Dir(f)))+"/"+filepath.Base(f), func(t *testing.T) {
				sc, err := loadScenario(f)
				if err != nil {
					t.Fatal(err)
				}
				if err := runScenario(ctxT(t), c, sc, runToken()); err != nil {
					t.Fatal(err)
				}
				t.Logf("%s: %d steps passed", sc.Name, len(sc.Steps))
			})
		}
	}
	if total == 0 {
		t.Fatal("no scenario files found")
	}
}

// The matcher must fail on a wrong expectation, as the README defines matching.
func TestConformanceMatcher(t *testing.T) {
	parse := func(s string) interface{} {
		v, err := decodeNumbers(json.RawMessage(s))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	good := []struct{ want, got string }{
		{`{"a": 1}`, `{"a": 1, "extra": [1, 2]}`},
		{`[0, 4294967295]`, `[0, 4294967295]`},
		{`{"x": 1.5, "y": null, "z": true}`, `{"x": 1.50, "y": null, "z": true}`},
		{`{"n": 3}`, `{"n": 3.0}`},
	}
	for _, c := range good {
		if err := match("r", parse(c.want), parse(c.got)); err != nil {
			t.Errorf("%s vs %s: %v", c.want, c.got, err)
		}
	}
	bad := []struct{ want, got string }{
		{`{"a": 1}`, `{"b": 1}`},
		{`{"a": 1}`, `{"a": 2}`},
		{`[1, 2]`, `[1, 2, 3]`},
		{`[1, 2]`, `[2, 1]`},
		{`{"hex": "00"}`, `{"hex": "01"}`},
		{`null`, `{}`},
		{`{"a": {"b": [1]}}`, `{"a": {"b": 1}}`},
		{`4294967295`, `4294967294`},
		{`"x"`, `1`},
		{`true`, `false`},
	}
	for _, c := range bad {
		if err := match("r", parse(c.want), parse(c.got)); err == nil {
			t.Errorf("%s matched %s", c.want, c.got)
		}
	}
}

// A step with an unknown call fails before anything is sent, and so does a wrong error
// expectation on a client-side call.
func TestConformanceRejects(t *testing.T) {
	c, _ := NewClient("http://127.0.0.1:1") // nothing is sent to it
	st := map[string]json.RawMessage{"call": json.RawMessage(`"teleport"`), "args": json.RawMessage(`{}`)}
	if err := runStep(context.Background(), c, st, "r"); err == nil || !strings.Contains(err.Error(), "unknown call") {
		t.Errorf("unknown call: %v", err)
	}
	// npy_decode runs without a daemon: a wrong expected hex, and an expected error that does
	// not happen, must both fail
	npy, _ := EncodeNpy(NewFloat32([]int{1}, []float32{1}))
	args := json.RawMessage(fmt.Sprintf(`{"hex": "%x"}`, npy))
	right := map[string]json.RawMessage{"call": json.RawMessage(`"npy_decode"`), "args": args,
		"expect": json.RawMessage(`{"dtype": "float32", "shape": [1], "hex": "0000803f"}`)}
	if err := runStep(context.Background(), c, right, "r"); err != nil {
		t.Errorf("a right expectation failed: %v", err)
	}
	wrong := map[string]json.RawMessage{"call": json.RawMessage(`"npy_decode"`), "args": args,
		"expect": json.RawMessage(`{"dtype": "float32", "shape": [1], "hex": "0000003f"}`)}
	if err := runStep(context.Background(), c, wrong, "r"); err == nil {
		t.Error("a wrong expectation passed")
	}
	noErr := map[string]json.RawMessage{"call": json.RawMessage(`"npy_decode"`), "args": args,
		"error": json.RawMessage(`{"status": 400, "code": "invalid_argument"}`)}
	if err := runStep(context.Background(), c, noErr, "r"); err == nil {
		t.Error("an expected error that did not happen passed")
	}
}

// Against the daemon: each of this module's scenarios with one expectation falsified (the last
// hex digit of the first tensor, or a count) must fail.
func TestConformanceFailsOnWrongExpectation(t *testing.T) {
	c := needDaemon(t)
	files, _ := filepath.Glob(filepath.Join("testdata", "scenarios", "*.json"))
	if len(files) == 0 {
		t.Fatal("no scenarios in testdata/scenarios")
	}
	for _, f := range files {
		sc, err := loadScenario(f)
		if err != nil {
			t.Fatal(err)
		}
		i, ok := falsify(sc)
		if !ok {
			t.Fatalf("%s: no expectation to falsify", f)
		}
		err = runScenario(ctxT(t), c, sc, runToken())
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("step %d ", i)) {
			t.Errorf("%s with step %d falsified: %v", f, i, err)
		}
	}
}

// falsify changes the first expectation holding a "hex" (else a "count") of sc and returns
// its step.
func falsify(sc *scenario) (int, bool) {
	for i, st := range sc.Steps {
		raw, ok := st["expect"]
		if !ok {
			continue
		}
		s := string(raw)
		if j := strings.Index(s, `"hex": "`); j >= 0 {
			k := j + len(`"hex": "`)
			flip := byte('0')
			if s[k] == '0' {
				flip = '1'
			}
			st["expect"] = json.RawMessage(s[:k] + string(flip) + s[k+1:])
			return i, true
		}
		if j := strings.Index(s, `"count": `); j >= 0 {
			st["expect"] = json.RawMessage(s[:j] + `"count": 99999, "was": ` + s[j+len(`"count": `):])
			return i, true
		}
	}
	return 0, false
}
