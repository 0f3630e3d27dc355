package keyfold

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// The oracle's flax_session cases (Flax 0.12, real nnx.Rngs, nnx.Sequential, nnx.reseed,
// Rngs.fork) replayed through the typed API: parameters after construction, the state of
// every stream (the session's own and the ones its dropouts hold) after each step, drawn keys,
// forks' children and forward outputs, all compared with what Flax printed.

type flaxStream struct {
	Name  string `json:"name"`
	Path  string `json:"path"`
	Tag   string `json:"tag"`
	Key   Key    `json:"key"`
	Count uint32 `json:"count"`
}

type flaxState struct {
	Rngs  []flaxStream `json:"rngs"`
	Model []flaxStream `json:"model"`
}

type flaxResult struct {
	DType  string `json:"dtype"`
	Shape  []int  `json:"shape"`
	Expect string `json:"expect"`
}

type flaxSessionCase struct {
	ID   string `json:"id"`
	Mode string `json:"mode"`
	Args struct {
		Rngs   map[string]json.RawMessage   `json:"rngs"`
		Layers []Layer                      `json:"layers"`
		Inputs map[string]interface{}       `json:"inputs"`
		Steps  []map[string]json.RawMessage `json:"steps"`
	} `json:"args"`
	Expect struct {
		Params []struct {
			Path  string     `json:"path"`
			Value flaxResult `json:"value"`
		} `json:"params"`
		Built flaxState `json:"built"`
		Steps []struct {
			Key   *Key         `json:"key"`
			Child []flaxStream `json:"child"`
			Y     *flaxResult  `json:"y"`
			State flaxState    `json:"state"`
		} `json:"steps"`
	} `json:"expect"`
}

func seedOrKeyJSON(raw json.RawMessage) (SeedOrKey, error) {
	var k Key
	if json.Unmarshal(raw, &k) == nil {
		return FromKey(k), nil
	}
	var n int64
	err := json.Unmarshal(raw, &n)
	return Seed(n), err
}

func seedsJSON(t *testing.T, m map[string]json.RawMessage) map[string]SeedOrKey {
	out := map[string]SeedOrKey{}
	for name, raw := range m {
		s, err := seedOrKeyJSON(raw)
		if err != nil {
			t.Fatalf("seed %s: %v", name, err)
		}
		out[name] = s
	}
	return out
}

// nestedTensor turns a rectangular nested list into a tensor (float32, or int32 indices).
func nestedTensor(v interface{}, dtype DType) (*Tensor, error) {
	var shape []int
	for x := v; ; {
		a, ok := x.([]interface{})
		if !ok {
			break
		}
		shape = append(shape, len(a))
		if len(a) == 0 {
			break
		}
		x = a[0]
	}
	var flat []float64
	var walk func(x interface{}, depth int) error
	walk = func(x interface{}, depth int) error {
		if depth == len(shape) {
			f, ok := x.(float64)
			if !ok {
				return fmt.Errorf("element %v is not a number", x)
			}
			flat = append(flat, f)
			return nil
		}
		a, ok := x.([]interface{})
		if !ok || len(a) != shape[depth] {
			return fmt.Errorf("not rectangular")
		}
		for _, e := range a {
			if err := walk(e, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(v, 0); err != nil {
		return nil, err
	}
	if dtype == Int32 {
		d := make([]int32, len(flat))
		for i, f := range flat {
			d[i] = int32(f)
		}
		return NewInt32(shape, d), nil
	}
	d := make([]float32, len(flat))
	for i, f := range flat {
		d[i] = float32(f)
	}
	return NewFloat32(shape, d), nil
}

// checkState compares the session's streams and its model's held streams with Flax's state.
func checkState(t *testing.T, where string, s *Session, want flaxState) {
	t.Helper()
	if len(s.Rngs) != len(want.Rngs) {
		t.Errorf("%s: %d streams, Flax %d", where, len(s.Rngs), len(want.Rngs))
	}
	for _, w := range want.Rngs {
		if got, ok := s.Rngs[w.Name]; !ok || got.Key != w.Key || got.Count != w.Count {
			t.Errorf("%s: stream %s is %+v, Flax %+v", where, w.Name, got, w)
		}
	}
	var held []flaxStream
	if s.Model != nil {
		for _, layer := range s.Model.Layers {
			if r, ok := layer["rngs"]; ok && r != nil {
				b, _ := json.Marshal(r)
				var h flaxStream
				if err := json.Unmarshal(b, &h); err != nil {
					t.Fatalf("%s: layer rngs %s: %v", where, b, err)
				}
				held = append(held, h)
			}
		}
	}
	if len(held) != len(want.Model) {
		t.Errorf("%s: the model holds %d streams, Flax %d", where, len(held), len(want.Model))
		return
	}
	for i, w := range want.Model {
		if held[i] != (flaxStream{Path: w.Path, Tag: w.Tag, Key: w.Key, Count: w.Count}) {
			t.Errorf("%s: held stream %d is %+v, Flax %+v", where, i, held[i], w)
		}
	}
}

func TestFlaxSessionsMatchFlax(t *testing.T) {
	c := needDaemon(t)
	ctx := ctxT(t)
	cases := oracleExact(t, "flax_session")
	for n, oc := range cases {
		var fc flaxSessionCase
		mustUnmarshal(t, oc.Raw, &fc)
		name := fmt.Sprintf("go-flax-%d", n)
		s, err := c.CreateSession(ctx, SessionSpec{Name: name, Rngs: seedsJSON(t, fc.Args.Rngs),
			Model: fc.Args.Layers, Options: Options{Threefry: fc.Mode, Flax: "0.12"}})
		if err != nil {
			t.Fatalf("%s: %v", fc.ID, err)
		}
		checkState(t, fc.ID+" built", s, fc.Expect.Built)
		params, err := c.Params(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range fc.Expect.Params {
			var layer int
			var pname string
			if _, err := fmt.Sscanf(strings.Replace(p.Path, ".", " ", -1), "layers %d %s", &layer, &pname); err != nil {
				t.Fatalf("%s: param path %s", fc.ID, p.Path)
			}
			if got := params[layer][pname]; got == nil || tensorHex(t, got) != p.Value.Expect {
				t.Errorf("%s: %s = %v, Flax %s", fc.ID, p.Path, got, p.Value.Expect)
			}
		}
		inputType := Float32
		if fc.Args.Layers[0]["type"] == "embed" {
			inputType = Int32
		}
		children := 0
		for i, st := range fc.Args.Steps {
			where := fmt.Sprintf("%s step %d", fc.ID, i)
			want := fc.Expect.Steps[i]
			switch {
			case st["draw"] != nil:
				var stream string
				json.Unmarshal(st["draw"], &stream) // null: rngs(), the default stream
				d, err := c.Keys(ctx, name, stream, 1)
				if err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				if want.Key == nil || d.Keys[0] != *want.Key {
					t.Errorf("%s: drew %v, Flax %v", where, d.Keys[0], want.Key)
				}
			case st["fork"] != nil:
				var streams []string
				json.Unmarshal(st["fork"], &streams) // null: every stream
				child := fmt.Sprintf("%s-c%d", name, children)
				children++
				cs, err := c.Fork(ctx, name, ForkSpec{Child: child, Streams: streams})
				if err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				checkState(t, where+" child", cs, flaxState{Rngs: want.Child})
				if err := c.DeleteSession(ctx, child); err != nil { // Flax does not keep it
					t.Fatal(err)
				}
			case st["forward"] != nil:
				var input string
				json.Unmarshal(st["forward"], &input)
				x, err := nestedTensor(fc.Args.Inputs[input], inputType)
				if err != nil {
					t.Fatalf("%s: input %s: %v", where, input, err)
				}
				opt := &ForwardOptions{Npy: i%2 == 1} // both encodings, alternately
				var det *bool
				json.Unmarshal(st["deterministic"], &det)
				opt.Deterministic = det
				y, err := c.Forward(ctx, name, x, opt)
				if err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				if want.Y == nil || tensorHex(t, y) != want.Y.Expect {
					t.Errorf("%s: y = %v, Flax %v", where, y, want.Y)
				}
			case st["reseed"] != nil:
				var streams map[string]json.RawMessage
				var target, policy string
				var rejects bool
				json.Unmarshal(st["reseed"], &streams)
				json.Unmarshal(st["target"], &target)
				json.Unmarshal(st["policy"], &policy)
				json.Unmarshal(st["keyfold_rejects"], &rejects)
				_, err := c.Reseed(ctx, name, seedsJSON(t, streams), &ReseedOptions{Target: target, Policy: policy})
				if rejects {
					if !errors.Is(err, ErrInvalidArgument) {
						t.Errorf("%s: a reseed Flax ignores and keyfold refuses: %v", where, err)
					}
				} else if err != nil {
					t.Fatalf("%s: %v", where, err)
				}
			default:
				t.Fatalf("%s: unknown step %v", where, st)
			}
			s, err := c.GetSession(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			checkState(t, where, s, want.State)
		}
		if err := c.DeleteSession(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d flax_session cases replayed", len(cases))
}
