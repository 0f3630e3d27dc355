package keyfold

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
)

// tensorHex is the row-major little-endian bytes of t as hex, the oracle's "expect" form.
func tensorHex(t *testing.T, x *Tensor) string {
	t.Helper()
	b, err := x.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func keysHex(keys ...Key) string {
	var b []byte
	for _, k := range keys {
		for _, w := range k {
			b = append(b, byte(w), byte(w>>8), byte(w>>16), byte(w>>24))
		}
	}
	return hex.EncodeToString(b)
}

func keyArg(t *testing.T, v interface{}) Key {
	t.Helper()
	a, ok := v.([]interface{})
	if !ok || len(a) != 2 {
		t.Fatalf("not a key: %v", v)
	}
	return Key{uint32(a[0].(float64)), uint32(a[1].(float64))}
}

// Every stateless case of the JAX oracle this API covers, bit for bit: keys, fold_in, split,
// bits, uniform, normal, truncated_normal, bernoulli, randint, permutation and the
// distributions, sent through Random (JSON: the float32 text read back exactly) and, for every
// third case, RandomNpy (.npy: the same bits).
func TestStatelessMatchesJAX(t *testing.T) {
	c := needDaemon(t)
	ctx := ctxT(t)
	ops, err := c.RandomOperations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	offered := map[string]bool{}
	paramDType := map[string]string{}
	for _, op := range ops {
		offered[op.Name] = op.Random
		for _, p := range op.Params {
			if p.DType != nil {
				paramDType[op.Name+"."+p.Name] = *p.DType
			}
		}
	}
	arrays := 0
	ran := map[string]int{}
	for i, oc := range oracle(t) {
		if !oc.exact() || oc.X64 {
			continue
		}
		body := map[string]interface{}{"threefry": oc.Mode}
		op := oc.Op
		hasArray := false
		switch op {
		case "key":
			if oc.Args["legacy_prngkey"] == true {
				continue // PRNGKey(seed) is jax.random.key's data in 32-bit mode: one case suffices
			}
			body["seed"] = int64(oc.Args["seed"].(float64))
		case "fold_in", "split", "bits", "uniform", "normal", "bernoulli", "randint", "permutation", "truncated_normal":
			for k, v := range oc.Args {
				if s, isStr := v.(string); isStr && (s == "inf" || s == "-inf") {
					v = map[string]float64{"inf": math.Inf(1), "-inf": math.Inf(-1)}[s]
					// JSON has no infinities: a bound below -3.4e38 rounds to -inf as float32
					v = math.Copysign(1e39, v.(float64))
				}
				body[k] = v
			}
		case "sample":
			op = oc.Args["sampler"].(string)
			body["key"] = oc.Args["key"]
			body["shape"] = oc.Args["shape"]
			params := oc.Args["params"].(map[string]interface{})
			usable := true
			for k, v := range params {
				switch v.(type) {
				case float64, bool:
					body[k] = v
				case string:
					if s := v.(string); s == "nan" || s == "inf" || s == "-inf" {
						usable = false
					}
					body[k] = v
				case map[string]interface{}:
					// an array parameter {shape, values}: sent as a typed *Tensor of the
					// parameter's element dtype (GET /v1/random says which)
					tensor, err := arrayParam(v.(map[string]interface{}), paramDType[op+"."+k])
					if err != nil {
						usable = false
						break
					}
					body[k] = tensor
					hasArray = true
				default:
					usable = false
				}
			}
			if !usable {
				continue
			}
		default:
			continue
		}
		if !offered[op] {
			continue // a sampler of JAX this daemon does not offer (GET /v1/random says which)
		}
		r, err := c.Random(ctx, op, body)
		if err != nil {
			t.Errorf("%s: %v", oc.ID, err)
			continue
		}
		var got string
		switch {
		case op == "key" || op == "fold_in":
			got = keysHex(*r.Key)
		case op == "split":
			got = keysHex(r.Keys...)
		default:
			got = tensorHex(t, r.Tensor)
			checkNpy := i%3 == 0
			if got != oc.Expect && r.Tensor.DType == Float32 && sameUpToNaNBits(got, oc.Expect) {
				// JSON writes every NaN as "NaN": its sign and payload cannot travel that way
				// (the .npy reply, checked below for these cases, carries them)
				got, checkNpy = oc.Expect, true
			}
			if !reflect.DeepEqual(r.Tensor.Shape, oc.Shape) && !(len(r.Tensor.Shape) == 0 && len(oc.Shape) == 0) {
				t.Errorf("%s: shape %v, JAX %v", oc.ID, r.Tensor.Shape, oc.Shape)
			}
			if checkNpy {
				npy, err := c.RandomNpy(ctx, op, body)
				if err != nil {
					t.Errorf("%s (.npy): %v", oc.ID, err)
				} else if h := tensorHex(t, npy); h != oc.Expect {
					t.Errorf("%s (.npy): got %s, JAX %s", oc.ID, h, oc.Expect)
				}
			}
		}
		if got != oc.Expect {
			t.Errorf("%s: got %.80s, JAX %.80s", oc.ID, got, oc.Expect)
		}
		ran[oc.Op]++
		if hasArray {
			arrays++
		}
	}
	t.Logf("oracle cases checked: %v (%d with array parameters sent as tensors)", ran, arrays)
	if arrays == 0 {
		t.Error("no oracle case with an array parameter was checked")
	}
	for _, op := range []string{"key", "fold_in", "split", "normal", "uniform", "bernoulli", "randint", "sample"} {
		if ran[op] == 0 {
			t.Errorf("no %s case of the oracle was checked", op)
		}
	}
}

// arrayParam builds the tensor of an oracle array parameter {shape, values} (values
// row-major; finite numbers only).
func arrayParam(m map[string]interface{}, dtype string) (*Tensor, error) {
	shapeAny, _ := m["shape"].([]interface{})
	values, _ := m["values"].([]interface{})
	shape := make([]int, len(shapeAny))
	for i, d := range shapeAny {
		shape[i] = int(d.(float64))
	}
	f := make([]float64, len(values))
	for i, v := range values {
		x, ok := v.(float64)
		if !ok {
			return nil, fmt.Errorf("value %v", v)
		}
		f[i] = x
	}
	switch dtype {
	case "float32":
		d := make([]float32, len(f))
		for i, x := range f {
			d[i] = float32(x)
		}
		return NewFloat32(shape, d), nil
	case "int32":
		d := make([]int32, len(f))
		for i, x := range f {
			d[i] = int32(x)
		}
		return NewInt32(shape, d), nil
	}
	return nil, fmt.Errorf("dtype %q", dtype)
}

// sameUpToNaNBits compares float32 hex dumps treating any two NaNs as equal.
func sameUpToNaNBits(a, b string) bool {
	x, _ := hex.DecodeString(a)
	y, _ := hex.DecodeString(b)
	if len(x) != len(y) || len(x)%4 != 0 {
		return false
	}
	for i := 0; i < len(x); i += 4 {
		u := math.Float32frombits(uint32(x[i]) | uint32(x[i+1])<<8 | uint32(x[i+2])<<16 | uint32(x[i+3])<<24)
		v := math.Float32frombits(uint32(y[i]) | uint32(y[i+1])<<8 | uint32(y[i+2])<<16 | uint32(y[i+3])<<24)
		if math.Float32bits(u) != math.Float32bits(v) && !(u != u && v != v) {
			return false
		}
	}
	return true
}

// The helpers for the common calls give the same values as JAX.
func TestStatelessHelpers(t *testing.T) {
	c := needDaemon(t)
	ctx := ctxT(t)
	k, err := c.RandomKey(ctx, -1)
	if err != nil || keysHex(k) != oracleFind(t, "key/partitionable/seed=-1").Expect {
		t.Errorf("RandomKey(-1) = %v, %v", k, err)
	}
	k0 := Key{0, 0}
	f, err := c.FoldIn(ctx, k0, 0)
	if err != nil || keysHex(f) != oracleFind(t, "fold_in/partitionable/key(0)/0").Expect {
		t.Errorf("FoldIn = %v, %v", f, err)
	}
	ks, err := c.Split(ctx, k0, 1)
	if err != nil || keysHex(ks...) != oracleFind(t, "split/partitionable/key(0)/1").Expect {
		t.Errorf("Split = %v, %v", ks, err)
	}
	n, err := c.Normal(ctx, Key{0, 42}, []int{3, 5})
	if err != nil || tensorHex(t, n) != oracleFind(t, "normal/partitionable/key(42)/[3, 5]").Expect {
		t.Errorf("Normal = %v, %v", n, err)
	}
	u, err := c.Uniform(ctx, k0, nil)
	if err != nil || tensorHex(t, u) != oracleFind(t, "uniform/partitionable/key(0)/[]/[0,1)").Expect {
		t.Errorf("Uniform = %v, %v", u, err)
	}
	ops, err := c.RandomOperations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]RandomOperation{}
	for _, op := range ops {
		byName[op.Name] = op
	}
	if n := byName["normal"]; !n.Random || !n.SessionSample || !n.Tensor || n.DType == nil || *n.DType != Float32 {
		t.Errorf("GET /v1/random: normal is %+v", n)
	}
	if s := byName["split"]; s.Tensor || len(s.Params) == 0 || s.Params[0].Name != "key" {
		t.Errorf("GET /v1/random: split is %+v", s)
	}
	if _, err := c.Random(ctx, "no_such_op", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown op: %v", err)
	}
}

// A session walks nnx.Rngs exactly as Flax does: the oracle's flax_rngs cases (Rngs(**streams),
// then draws by name, None = rngs(), and reseeds) replayed through Keys and Reseed.
func TestKeysAndReseedMatchFlax(t *testing.T) {
	c := needDaemon(t)
	ctx := ctxT(t)
	for n, oc := range oracleExact(t, "flax_rngs") {
		name := fmt.Sprintf("go-rngs-%d", n)
		rngs := map[string]SeedOrKey{}
		for s, v := range oc.Args["streams"].(map[string]interface{}) {
			rngs[s] = Seed(int64(v.(float64)))
		}
		if _, err := c.CreateSession(ctx, SessionSpec{Name: name, Rngs: rngs,
			Options: Options{Threefry: oc.Mode, Flax: "0.12"}}); err != nil {
			t.Fatalf("%s: %v", oc.ID, err)
		}
		var keys []Key
		for _, call := range oc.Args["calls"].([]interface{}) {
			switch v := call.(type) {
			case nil, string:
				stream, _ := v.(string)
				d, err := c.Keys(ctx, name, stream, 1)
				if err != nil {
					t.Fatalf("%s: draw %v: %v", oc.ID, v, err)
				}
				keys = append(keys, d.Keys...)
			case map[string]interface{}:
				streams := map[string]SeedOrKey{}
				for s, seed := range v["reseed"].(map[string]interface{}) {
					streams[s] = Seed(int64(seed.(float64)))
				}
				if _, err := c.Reseed(ctx, name, streams, nil); err != nil {
					t.Fatalf("%s: reseed: %v", oc.ID, err)
				}
			}
		}
		if got := keysHex(keys...); got != oc.Expect {
			t.Errorf("%s: keys %s, Flax %s", oc.ID, got, oc.Expect)
		}
		if err := c.DeleteSession(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
}

// Containers, names and the Session's variables: a repeat of residual blocks and a batch_norm.
func TestNestedModelVariables(t *testing.T) {
	c := needDaemon(t)
	ctx := ctxT(t)
	block := Residual(Layer{"type": "layer_norm", "num_features": 2}.Named("norm"), Linear(2, 2).Named("fc"),
		Sequential(Activation("relu")), Dropout(0.5))
	s, err := c.CreateSession(ctx, SessionSpec{
		Name: "go-nested", Rngs: map[string]SeedOrKey{"params": Seed(0), "dropout": Seed(1)}, Options: Options{Flax: "0.12"},
		Model: []Layer{Repeat(2, block).Named("blocks"), {"type": "batch_norm", "num_features": 2, "name": "bn"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.DeleteSession(ctx, "go-nested")
	// 4 params draws per block and 2 for the batch_norm; the dropout forks its stream once per block
	if s.Rngs["params"].Count != 10 || s.Rngs["dropout"].Count != 2 {
		t.Errorf("counts %+v", s.Rngs)
	}
	want := VariableSpec{Kind: "params", Shape: []int{2, 2}, DType: Float32}
	if got := s.Model.Variables["blocks.layers.1.layers.0.fc.kernel"]; !reflect.DeepEqual(got, want) {
		t.Errorf("variables %+v", s.Model.Variables)
	}
	if got := s.Model.Variables["bn.var"]; got.Kind != "batch_stats" {
		t.Errorf("bn.var %+v", got)
	}
	held, _ := s.Model.Layers[0]["layers"].([]interface{})[0].(map[string]interface{})["layers"].([]interface{})[3].(map[string]interface{})["rngs"].([]interface{})
	if len(held) != 2 {
		t.Errorf("a dropout inside a repeat holds one stream per block: %v", s.Model.Layers)
	}
}

// The Flax reseed docstring's model, Linear(2, 3) + Dropout(0.5) with nnx.Rngs(params=0,
// dropout=42), under Flax 0.12 (the oracle's flax_model case): parameters, two forward passes
// around nnx.reseed(model, dropout=42), through JSON and .npy, plus every other session call.
func TestSessionModelMatchesFlax(t *testing.T) {
	c := needDaemon(t)
	ctx := ctxT(t)
	oc := oracleFind(t, "flax_model/partitionable/reseed-docstring")
	var want struct {
		Kernel, Bias struct{ Expect string }
		Outputs      []struct{ Expect string }
	}
	mustUnmarshal(t, oc.Raw, &want)

	name := "go-docstring"
	s, err := c.CreateSession(ctx, SessionSpec{
		Name:    name,
		Rngs:    map[string]SeedOrKey{"params": Seed(0), "dropout": FromKey(Key{0, 42})},
		Model:   []Layer{Linear(2, 3), Dropout(0.5)},
		Options: Options{Flax: "0.12"},
	})
	if err != nil {
		t.Fatal(err)
	}
	// building the Linear drew params twice (kernel, bias); 0.12's Dropout forked dropout once
	if s.Rngs["params"].Count != 2 || s.Rngs["dropout"].Count != 1 || s.Options.Flax != "0.12" ||
		s.Options.Threefry != "partitionable" || s.Model == nil || len(s.Model.Layers) != 2 ||
		!reflect.DeepEqual(s.Model.Params[0]["kernel"], ParamSpec{Shape: []int{2, 3}, DType: Float32}) {
		t.Fatalf("created %+v", s)
	}
	if _, err := c.CreateSession(ctx, SessionSpec{Name: name}); !errors.Is(err, ErrAlreadyExists) {
		t.Errorf("second creation: %v", err)
	} else if e := err.(*Error); e.Status != 409 || e.Message == "" {
		t.Errorf("409 error: %#v", e)
	}

	params, err := c.Params(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if len(params) != 2 || len(params[1]) != 0 || tensorHex(t, params[0]["kernel"]) != want.Kernel.Expect ||
		tensorHex(t, params[0]["bias"]) != want.Bias.Expect {
		t.Errorf("params %v, Flax kernel %s bias %s", params, want.Kernel.Expect, want.Bias.Expect)
	}

	ones := NewFloat32([]int{1, 2}, []float32{1, 1})
	y1, err := c.Forward(ctx, name, ones, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tensorHex(t, y1) != want.Outputs[0].Expect {
		t.Errorf("y1 %v, Flax %s", y1, want.Outputs[0].Expect)
	}
	after, err := c.Reseed(ctx, name, map[string]SeedOrKey{"dropout": Seed(42)}, &ReseedOptions{Target: "model"})
	if err != nil {
		t.Fatal(err)
	}
	if after.Model == nil || after.Model.Layers[1]["rngs"] == nil {
		t.Errorf("a 0.12 dropout holds its stream: %+v", after.Model)
	}
	y2, err := c.Forward(ctx, name, ones, &ForwardOptions{Npy: true, Deterministic: BoolPtr(false)})
	if err != nil {
		t.Fatal(err)
	}
	if tensorHex(t, y2) != want.Outputs[1].Expect {
		t.Errorf("y2 (.npy) %v, Flax %s", y2, want.Outputs[1].Expect)
	}
	// deterministic: the dropout is the identity, y = x @ kernel + bias, with no draw
	y3, err := c.Forward(ctx, name, ones, &ForwardOptions{Deterministic: BoolPtr(true)})
	if err != nil {
		t.Fatal(err)
	}
	k := params[0]["kernel"].Float32s()
	for j := 0; j < 3; j++ {
		if w := k[j] + k[3+j]; y3.Float32s()[j] != w {
			t.Errorf("deterministic y[%d] = %v, kernel column sum %v", j, y3.Float32s()[j], w)
		}
	}
	if _, err := c.Forward(ctx, name, NewFloat32([]int{1, 3}, []float32{1, 2, 3}), nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("a shape that does not fit: %v", err)
	} else if e := err.(*Error); e.Status != 400 || !strings.Contains(e.Message, "x") {
		t.Errorf("400 error: %#v", e)
	}

	// Sample and Fork draw from the session's streams: values from JAX via the oracle.
	got, err := c.GetSession(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Rngs, after.Rngs) || got.Name != name {
		t.Errorf("GetSession %+v, after reseed %+v", got, after)
	}
	if err := c.DeleteSession(ctx, name); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetSession(ctx, name); !errors.Is(err, ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
	if err := c.DeleteSession(ctx, name); !errors.Is(err, ErrNotFound) || err.(*Error).Status != 404 {
		t.Errorf("second delete: %v", err)
	}
}

// /sample draws fold_in(stream key, count) and samples with it: after three keys from
// nnx.Rngs(7) the next sample uses fold_in(key(7), 3), the key of the oracle's normal case.
func TestSampleAndFork(t *testing.T) {
	c := needDaemon(t)
	ctx := ctxT(t)
	oc := oracleFind(t, "normal/partitionable/fold_in(key(7),3)/[3, 5]")
	name := "go-sample"
	if _, err := c.CreateSession(ctx, SessionSpec{Name: name, Rngs: map[string]SeedOrKey{"default": Seed(7)}}); err != nil {
		t.Fatal(err)
	}
	defer c.DeleteSession(ctx, name)
	d, err := c.Keys(ctx, name, "params", 3)
	if err != nil {
		t.Fatal(err)
	}
	if d.Stream != "params" || d.Source != "default" || !reflect.DeepEqual(d.Counts, []uint32{0, 1, 2}) || len(d.Keys) != 3 {
		t.Errorf("keys %+v", d)
	}
	for _, npy := range []bool{false, true} {
		if npy {
			// rewind: reseed default to key(7) and draw three keys again
			if _, err := c.Reseed(ctx, name, map[string]SeedOrKey{"default": Seed(7)}, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Keys(ctx, name, "", 3); err != nil {
				t.Fatal(err)
			}
		}
		s, err := c.Sample(ctx, name, SampleRequest{Distribution: "normal", Shape: []int{3, 5}, Stream: "dropout", Npy: npy})
		if err != nil {
			t.Fatal(err)
		}
		if tensorHex(t, &s.Tensor) != oc.Expect || s.Key != keyArg(t, oc.Args["key"]) || s.Count != 3 ||
			s.Stream != "dropout" || s.Source != "default" {
			t.Errorf("sample (npy %v): %v key %v count %d %s/%s; JAX %s with key %v", npy, &s.Tensor, s.Key,
				s.Count, s.Stream, s.Source, oc.Expect, oc.Args["key"])
		}
	}
	// Flax 0.12's keyless initializers: rngs.params.lecun_normal()((2, 3)) on nnx.Rngs(params=0)
	// draws fold_in(key(0), 0), the key nnx.Linear(2, 3) draws its kernel with: the oracle's
	// Linear kernel
	kernel := oracleFind(t, "flax_model/partitionable/reseed-docstring")
	var k struct{ Kernel struct{ Expect string } }
	mustUnmarshal(t, kernel.Raw, &k)
	if _, err := c.CreateSession(ctx, SessionSpec{Name: name + "-init", Rngs: map[string]SeedOrKey{"params": Seed(0)}}); err != nil {
		t.Fatal(err)
	}
	defer c.DeleteSession(ctx, name+"-init")
	ini, err := c.Sample(ctx, name+"-init", SampleRequest{Initializer: "lecun_normal", Shape: []int{2, 3}, Stream: "params"})
	if err != nil || tensorHex(t, &ini.Tensor) != k.Kernel.Expect || ini.Count != 0 {
		t.Errorf("initializer sample: %v %v; Flax kernel %s", ini, err, k.Kernel.Expect)
	}
	if _, err := c.Sample(ctx, name, SampleRequest{Distribution: "no_such"}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("unknown distribution: %v", err)
	}
	// Fork: child key = fold_in(parent key, parent count) = fold_in(key(7), 4) after 4 draws;
	// the oracle has fold_in(key(7), 3) only, so check the relation with FoldIn, whose own
	// values TestStatelessHelpers holds to JAX.
	child, err := c.Fork(ctx, name, ForkSpec{Child: name + "-child"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.DeleteSession(ctx, name+"-child")
	want, err := c.FoldIn(ctx, Key{0, 7}, 4)
	if err != nil {
		t.Fatal(err)
	}
	if child.Name != name+"-child" || child.Rngs["default"] != (StreamState{Key: want, Count: 0}) {
		t.Errorf("child %+v, want default = {%v 0}", child, want)
	}
	parent, _ := c.GetSession(ctx, name)
	if parent.Rngs["default"].Count != 5 {
		t.Errorf("the fork moved the parent to %d, not 5", parent.Rngs["default"].Count)
	}
	if _, err := c.Fork(ctx, name, ForkSpec{Child: name + "-child"}); !errors.Is(err, ErrAlreadyExists) {
		t.Errorf("fork onto an existing name: %v", err)
	}
	if _, err := c.Fork(ctx, name, ForkSpec{Child: "x", Streams: []string{"nope"}}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("fork of a missing stream: %v", err)
	}
	// a forward pass without a model
	if _, err := c.Forward(ctx, name, NewFloat32([]int{1}, []float32{1}), nil); !errors.Is(err, ErrFailedPrecondition) {
		t.Errorf("forward without a model: %v", err)
	}
	if _, err := c.CreateSession(ctx, SessionSpec{Name: "bad name!"}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("bad name: %v", err)
	}
}

// Pagination: 23 sessions under one prefix, listed 5 per page by hand and by the iterator.
func TestListSessionsPages(t *testing.T) {
	c := needDaemon(t)
	ctx := ctxT(t)
	var want []string
	for i := 0; i < 23; i++ {
		name := fmt.Sprintf("go-page-%02d", i)
		want = append(want, name)
		if _, err := c.CreateSession(ctx, SessionSpec{Name: name}); err != nil {
			t.Fatal(err)
		}
		defer c.DeleteSession(ctx, name)
	}
	// a session outside the prefix must not be listed
	if _, err := c.CreateSession(ctx, SessionSpec{Name: "go-pagf"}); err != nil {
		t.Fatal(err)
	}
	defer c.DeleteSession(ctx, "go-pagf")
	sort.Strings(want)

	p, err := c.ListSessions(ctx, ListOptions{Prefix: "go-page-", Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.Names, want[:5]) || p.NextPageToken == "" {
		t.Errorf("first page %+v", p)
	}
	p2, err := c.ListSessions(ctx, ListOptions{Prefix: "go-page-", Limit: 5, PageToken: p.NextPageToken})
	if err != nil || !reflect.DeepEqual(p2.Names, want[5:10]) {
		t.Errorf("second page %+v %v", p2, err)
	}

	it := c.Sessions(ctx, "go-page-", 5)
	var got []string
	for it.Next() {
		got = append(got, it.Name())
	}
	if it.Err() != nil || !reflect.DeepEqual(got, want) || it.Pages() != 5 {
		t.Errorf("iterator: %v (%d pages), err %v", got, it.Pages(), it.Err())
	}
	if _, err := c.ListSessions(ctx, ListOptions{Limit: 10001}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("limit 10001: %v", err)
	}
	bad := c.Sessions(ctx, "", 0)
	bad.opt.PageToken = "not-a-token"
	if bad.Next() || !errors.Is(bad.Err(), ErrInvalidArgument) {
		t.Errorf("a token the daemon did not issue: %v", bad.Err())
	}
}

// A daemon started with --auth-token-file and small limits: 401 without the token (typed), the
// calls with it, the health routes without it; 429 past --max-sessions, 413 past
// --max-elements.
func TestAuthTokenAndLimits(t *testing.T) {
	needDaemon(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	if err := os.WriteFile(file, []byte("s3cret-go\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := startDaemon("--auth-token-file", file, "--max-sessions", "1", "--max-elements", "1000")
	if err != nil {
		t.Fatal(err)
	}
	defer d.stop()
	ctx := ctxT(t)
	anon, _ := NewClient(d.url)
	_, err = anon.ListSessions(ctx, ListOptions{})
	var e *Error
	if !errors.Is(err, ErrUnauthenticated) || !errors.As(err, &e) || e.Status != 401 ||
		!strings.HasPrefix(e.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("no token: %v", err)
	}
	wrong, _ := NewClient(d.url, WithToken("wrong"))
	if _, err := wrong.RandomKey(ctx, 1); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("wrong token: %v", err)
	}
	if err := anon.Health(ctx); err != nil {
		t.Errorf("live without a token: %v", err)
	}
	if ok, err := anon.Ready(ctx); !ok || err != nil {
		t.Errorf("ready without a token: %v %v", ok, err)
	}
	good, _ := NewClient(d.url+"/", WithToken("s3cret-go"))
	if k, err := good.RandomKey(ctx, 42); err != nil || k != (Key{0, 42}) {
		t.Errorf("with the token: %v %v", k, err)
	}
	if _, err := good.CreateSession(ctx, SessionSpec{Name: "one", Rngs: map[string]SeedOrKey{"default": Seed(0)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := good.CreateSession(ctx, SessionSpec{Name: "two"}); !errors.Is(err, ErrResourceExhausted) || err.(*Error).Status != 429 {
		t.Errorf("past --max-sessions: %v", err)
	}
	if _, err := good.Keys(ctx, "one", "", 1001); !errors.Is(err, ErrPayloadTooLarge) || err.(*Error).Status != 413 {
		t.Errorf("past --max-elements: %v", err)
	}
}

// Errors the typed calls do not provoke, through the client's request path: 405 with its
// Allow header, 406 for an Accept that allows neither JSON nor .npy, 415 for a body of another
// type; and a cancelled context.
func TestOtherErrors(t *testing.T) {
	c := needDaemon(t)
	ctx := ctxT(t)
	err := c.call(ctx, "PUT", "/v1/sessions", nil, nil)
	if !errors.Is(err, ErrMethodNotAllowed) || !strings.Contains(err.(*Error).Header.Get("Allow"), "POST") {
		t.Errorf("PUT /v1/sessions: %v", err)
	}
	_, err = c.do(ctx, request{method: "POST", path: "/v1/random/normal",
		body: map[string]interface{}{"key": Key{0, 0}}, accept: "text/html"})
	if !errors.Is(err, ErrNotAcceptable) || err.(*Error).Status != 406 {
		t.Errorf("Accept: text/html: %v", err)
	}
	_, err = c.do(ctx, request{method: "POST", path: "/v1/random/normal", npy: []byte("x")})
	if !errors.Is(err, ErrUnsupportedMedia) || err.(*Error).Status != 415 {
		t.Errorf(".npy body to /v1/random: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.RandomKey(cancelled, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

// One Client reuses one keep-alive connection for sequential calls (WithHTTPClient's
// transport counts the dials).
func TestKeepAlive(t *testing.T) {
	needDaemon(t)
	var dials int32
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		atomic.AddInt32(&dials, 1)
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	defer tr.CloseIdleConnections()
	c, err := NewClient(shared.url, WithHTTPClient(&http.Client{Transport: tr}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	for i := 0; i < 20; i++ {
		if _, err := c.FoldIn(ctx, Key{0, 0}, uint32(i)); err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetSession(ctx, "go-keepalive-missing"); !errors.Is(err, ErrNotFound) {
			t.Fatal(err) // error replies must not cost the connection either
		}
	}
	if n := atomic.LoadInt32(&dials); n != 1 {
		t.Errorf("40 calls dialled %d connections, want 1", n)
	}
}

// The client's sentinels are exactly the daemon's error table (keyfoldd --dump-tables).
func TestSentinelsAreTheDaemonsTable(t *testing.T) {
	needDaemon(t)
	out, err := execOutput(os.Getenv("KEYFOLDD"), "--dump-tables")
	if err != nil {
		t.Fatal(err)
	}
	var tables struct {
		Errors []struct {
			Code   string `json:"code"`
			Status int    `json:"status"`
		} `json:"errors"`
	}
	mustUnmarshal(t, out, &tables)
	if len(tables.Errors) != len(ErrorCodes) {
		t.Errorf("daemon has %d codes, client %d", len(tables.Errors), len(ErrorCodes))
	}
	for _, row := range tables.Errors {
		s := SentinelFor(row.Code)
		if s == nil || s.Status != row.Status {
			t.Errorf("daemon code %s %d: client sentinel %v", row.Code, row.Status, s)
		}
	}
}

func TestServerInfoAndHealth(t *testing.T) {
	c := needDaemon(t)
	ctx := ctxT(t)
	info, err := c.ServerInfo(ctx)
	if err != nil || info.Name != "keyfold" || info.Version == "" {
		t.Errorf("GET /v2: %+v %v", info, err)
	}
	if err := c.Health(ctx); err != nil {
		t.Error(err)
	}
	if ok, err := c.Ready(ctx); !ok || err != nil {
		t.Errorf("ready: %v %v", ok, err)
	}
	if _, err := NewClient("ftp://x"); err == nil {
		t.Error("ftp URL accepted")
	}
}
