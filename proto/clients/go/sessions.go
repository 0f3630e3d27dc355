package keyfold

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Key is a JAX key's raw data [hi, lo] (jax.random.key_data(key)).
type Key [2]uint32

// SeedOrKey is what the API accepts wherever a stream is seeded: a seed (key(seed) =
// [0, seed mod 2^32], JAX with x64 off) or a key used as is. Build one with Seed or FromKey.
type SeedOrKey struct {
	seed  int64
	key   Key
	isKey bool
}

// Seed is the seed n: the stream gets jax.random.key(n).
func Seed(n int64) SeedOrKey { return SeedOrKey{seed: n} }

// FromKey is the key k itself.
func FromKey(k Key) SeedOrKey { return SeedOrKey{key: k, isKey: true} }

// MarshalJSON writes the seed as an integer or the key as [hi, lo].
func (s SeedOrKey) MarshalJSON() ([]byte, error) {
	if s.isKey {
		return json.Marshal(s.key)
	}
	return []byte(strconv.FormatInt(s.seed, 10)), nil
}

// StreamState is one stream of a session's nnx.Rngs: its key and the count of its next draw.
type StreamState struct {
	Key   Key    `json:"key"`
	Count uint32 `json:"count"`
}

// ParamSpec is a parameter's shape and dtype (without its values).
type ParamSpec struct {
	Shape []int `json:"shape"`
	DType DType `json:"dtype"`
}

// Layer is a layer spec, the API's object: {"type": "linear", "in_features": 2, ...}. Linear,
// Embed, Dropout and Activation build the common ones; any other member or layer type is a map
// entry away.
type Layer map[string]interface{}

// Linear is nnx.Linear(in, out) with its defaults (lecun_normal kernel, zeros bias): building
// it draws params twice, kernel then bias.
func Linear(in, out int) Layer {
	return Layer{"type": "linear", "in_features": in, "out_features": out}
}

// Embed is nnx.Embed(numEmbeddings, features): int32 indices in, one draw.
func Embed(numEmbeddings, features int) Layer {
	return Layer{"type": "embed", "num_embeddings": numEmbeddings, "features": features}
}

// Dropout is nnx.Dropout(rate): one key from the "dropout" stream per non-deterministic pass.
func Dropout(rate float64) Layer { return Layer{"type": "dropout", "rate": rate} }

// Activation is an activation layer: "relu", "gelu", "tanh", "sigmoid", "silu", ...
func Activation(name string) Layer { return Layer{"type": name} }

// Sequential is nnx.Sequential(layers...): each output feeds the next layer.
func Sequential(layers ...Layer) Layer { return Layer{"type": "sequential", "layers": layers} }

// Residual is x + f(x), f the layers in sequence.
func Residual(layers ...Layer) Layer { return Layer{"type": "residual", "layers": layers} }

// Repeat is count blocks of layers, built one after another as a Python loop would (block 0's
// draws first) and applied in sequence; each block has its own parameters and held streams.
func Repeat(count int, layers ...Layer) Layer {
	return Layer{"type": "repeat", "count": count, "layers": layers}
}

// Named returns a copy of the layer with "name" set: its attribute name in the Flax module,
// which replaces its list index in every path ("head.kernel" instead of "layers.3.kernel").
func (l Layer) Named(name string) Layer {
	out := Layer{"name": name}
	for k, v := range l {
		if k != "name" {
			out[k] = v
		}
	}
	return out
}

// Model is a session's model as the daemon echoes it: the layer tree with every default filled
// in (as decoded JSON objects; held streams as "rngs", a list of them inside a repeat), the
// parameter specs of each node of the expanded tree in preorder (dotted names for sub-modules,
// "query.kernel"), and every variable of nnx.state(model) by dotted path.
type Model struct {
	Layers    []map[string]interface{} `json:"layers"`
	Params    []map[string]ParamSpec   `json:"params"`
	Variables map[string]VariableSpec  `json:"variables"`
}

// VariableSpec is one entry of Model.Variables: Kind "params" (an nnx.Param) or "batch_stats"
// (batch_norm's mean and var), its shape and dtype.
type VariableSpec struct {
	Kind  string `json:"kind"`
	Shape []int  `json:"shape"`
	DType DType  `json:"dtype"`
}

// Options are a session's options; empty fields take the daemon's defaults (threefry
// "partitionable", flax "0.10") when creating.
type Options struct {
	Threefry string `json:"threefry,omitempty"`
	Flax     string `json:"flax,omitempty"`
}

// Session is a session as the daemon answers it.
type Session struct {
	Name    string                 `json:"name"`
	Rngs    map[string]StreamState `json:"rngs"`
	Model   *Model                 `json:"model"` // nil without a model
	Options Options                `json:"options"`
}

// SessionSpec is the body of a creation. Rngs maps stream names to seeds or keys ("default" is
// the positional seed of nnx.Rngs); the JSON object is written in name order, which changes no
// key or count. Model is optional.
type SessionSpec struct {
	Name    string
	Rngs    map[string]SeedOrKey
	Model   []Layer
	Options Options
}

func (s SessionSpec) body() map[string]interface{} {
	b := map[string]interface{}{"name": s.Name}
	if s.Rngs != nil {
		b["rngs"] = s.Rngs
	}
	if len(s.Model) > 0 {
		b["model"] = map[string]interface{}{"layers": s.Model}
	}
	if s.Options != (Options{}) {
		b["options"] = s.Options
	}
	return b
}

// session sends a request answered by a Session.
func (c *Client) session(ctx context.Context, method, path string, body interface{}) (*Session, error) {
	var s Session
	if err := c.call(ctx, method, path, body, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// CreateSession is POST /v1/sessions: a named nnx.Rngs with an optional model. The counts in
// the answer already reflect the model's construction. ErrAlreadyExists if the name is taken.
func (c *Client) CreateSession(ctx context.Context, spec SessionSpec) (*Session, error) {
	return c.session(ctx, "POST", "/v1/sessions", spec.body())
}

// GetSession is GET /v1/sessions/{name}. ErrNotFound when there is no such session.
func (c *Client) GetSession(ctx context.Context, name string) (*Session, error) {
	return c.session(ctx, "GET", sessionPath(name, ""), nil)
}

// DeleteSession is DELETE /v1/sessions/{name}.
func (c *Client) DeleteSession(ctx context.Context, name string) error {
	return c.call(ctx, "DELETE", sessionPath(name, ""), nil, nil)
}

// ListOptions select one page of GET /v1/sessions. Zero values are the daemon's defaults (no
// prefix, limit 1000, the first page).
type ListOptions struct {
	Prefix    string
	Limit     int    // 1..10000
	PageToken string // the previous page's NextPageToken
}

// SessionPage is one page of session names, in byte order.
type SessionPage struct {
	Names         []string `json:"sessions"`
	NextPageToken string   `json:"next_page_token"` // "" on the last page
}

// ListSessions is GET /v1/sessions: one page. Sessions walks every page.
func (c *Client) ListSessions(ctx context.Context, opt ListOptions) (*SessionPage, error) {
	q := url.Values{}
	if opt.Prefix != "" {
		q.Set("prefix", opt.Prefix)
	}
	if opt.Limit != 0 {
		q.Set("limit", strconv.Itoa(opt.Limit))
	}
	if opt.PageToken != "" {
		q.Set("page_token", opt.PageToken)
	}
	path := "/v1/sessions"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var p SessionPage
	if err := c.call(ctx, "GET", path, nil, &p); err != nil {
		return nil, err
	}
	if p.Names == nil {
		p.Names = []string{}
	}
	return &p, nil
}

// SessionIterator walks the session names of every page:
//
//	it := c.Sessions(ctx, "exp", 100)
//	for it.Next() {
//		fmt.Println(it.Name())
//	}
//	if err := it.Err(); err != nil { ... }
//
// It fetches one page at a time, when the previous one is used up.
type SessionIterator struct {
	c     *Client
	ctx   context.Context
	opt   ListOptions
	page  []string
	i     int
	name  string
	err   error
	done  bool
	pages int
}

// Sessions returns an iterator over the names starting with prefix, pageSize per request
// (0: the daemon's default of 1000).
func (c *Client) Sessions(ctx context.Context, prefix string, pageSize int) *SessionIterator {
	return &SessionIterator{c: c, ctx: ctx, opt: ListOptions{Prefix: prefix, Limit: pageSize}}
}

// Next advances to the next name; false at the end or on an error (see Err).
func (it *SessionIterator) Next() bool {
	for it.i >= len(it.page) {
		if it.done || it.err != nil {
			return false
		}
		p, err := it.c.ListSessions(it.ctx, it.opt)
		if err != nil {
			it.err = err
			return false
		}
		it.pages++
		it.page, it.i = p.Names, 0
		it.opt.PageToken = p.NextPageToken
		it.done = p.NextPageToken == ""
	}
	it.name = it.page[it.i]
	it.i++
	return true
}

// Name is the current name (after Next returned true).
func (it *SessionIterator) Name() string { return it.name }

// Err is the error that stopped the walk, nil at a normal end.
func (it *SessionIterator) Err() error { return it.err }

// Pages is how many pages the walk has fetched so far.
func (it *SessionIterator) Pages() int { return it.pages }

// KeyDraw is the answer of /keys: the stream asked for, the one that served it ("default" on
// fallback), the counts drawn at and the keys.
type KeyDraw struct {
	Stream string   `json:"stream"`
	Source string   `json:"source"`
	Counts []uint32 `json:"counts"`
	Keys   []Key    `json:"keys"`
}

// Keys is POST /v1/sessions/{name}/keys: rngs.<stream>() n times (n >= 1; anything else is
// the daemon's 400). stream "" is "default"; an unknown stream falls back to "default".
func (c *Client) Keys(ctx context.Context, name, stream string, n int) (*KeyDraw, error) {
	body := map[string]interface{}{}
	if stream != "" {
		body["stream"] = stream
	}
	body["n"] = n
	var d KeyDraw
	if err := c.call(ctx, "POST", sessionPath(name, "keys"), body, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// SampleRequest is the body of /sample: Distribution (any session_sample operation of
// RandomOperations) or Initializer (Flax 0.12's keyless initializers), Shape (nil: absent, the
// distribution's default; []int{}: a scalar), Stream ("" is "default") and the sampler's
// parameters by JAX's names (numbers, nested slices or *Tensor).
type SampleRequest struct {
	Distribution string
	Initializer  string
	Shape        []int
	Stream       string
	Params       map[string]interface{}
	Npy          bool // ask for the sample as .npy (key and count then come in headers)
}

// Sample is a session sample: the tensor plus the key it was drawn with, the stream's count at
// the draw, the stream asked for and the one that served it.
type Sample struct {
	Tensor
	Key    Key
	Count  uint32
	Stream string
	Source string
}

// String shows the sample with its key, count and streams.
func (s Sample) String() string {
	return fmt.Sprintf("Sample(%v key=%v count=%d stream=%s source=%s)", s.Tensor, s.Key, s.Count, s.Stream, s.Source)
}

// Sample is POST /v1/sessions/{name}/sample: one key from the stream, then the stateless
// sampler with it.
func (c *Client) Sample(ctx context.Context, name string, r SampleRequest) (*Sample, error) {
	body := map[string]interface{}{}
	for k, v := range r.Params {
		body[k] = v
	}
	if r.Distribution != "" {
		body["distribution"] = r.Distribution
	}
	if r.Initializer != "" {
		body["initializer"] = r.Initializer
	}
	if r.Shape != nil {
		body["shape"] = r.Shape
	}
	if r.Stream != "" {
		body["stream"] = r.Stream
	}
	req := request{method: "POST", path: sessionPath(name, "sample"), body: body}
	if r.Npy {
		req.accept = NpyMediaType
	}
	rep, err := c.do(ctx, req)
	if err != nil {
		return nil, err
	}
	if r.Npy {
		return sampleFromNpy(rep)
	}
	var w struct {
		Key    Key    `json:"key"`
		Count  uint32 `json:"count"`
		Stream string `json:"stream"`
		Source string `json:"source"`
	}
	s := &Sample{}
	if err := json.Unmarshal(rep.body, &s.Tensor); err != nil {
		return nil, fmt.Errorf("keyfold: sample reply: %w", err)
	}
	if err := json.Unmarshal(rep.body, &w); err != nil {
		return nil, fmt.Errorf("keyfold: sample reply: %w", err)
	}
	s.Key, s.Count, s.Stream, s.Source = w.Key, w.Count, w.Stream, w.Source
	return s, nil
}

// sampleFromNpy reads a .npy sample reply: the draw's key, count and streams are the
// Keyfold-Key ("hi,lo"), Keyfold-Count, Keyfold-Stream and Keyfold-Source headers.
func sampleFromNpy(rep *reply) (*Sample, error) {
	t, err := npyReply(rep)
	if err != nil {
		return nil, err
	}
	s := &Sample{Tensor: *t, Stream: rep.header.Get("Keyfold-Stream"), Source: rep.header.Get("Keyfold-Source")}
	parts := strings.Split(rep.header.Get("Keyfold-Key"), ",")
	if len(parts) != 2 {
		return nil, fmt.Errorf("keyfold: Keyfold-Key header %q is not hi,lo", rep.header.Get("Keyfold-Key"))
	}
	for i, p := range parts {
		v, err := strconv.ParseUint(strings.TrimSpace(p), 10, 32)
		if err != nil {
			return nil, fmt.Errorf("keyfold: Keyfold-Key header: %w", err)
		}
		s.Key[i] = uint32(v)
	}
	n, err := strconv.ParseUint(rep.header.Get("Keyfold-Count"), 10, 32)
	if err != nil {
		return nil, fmt.Errorf("keyfold: Keyfold-Count header: %w", err)
	}
	s.Count = uint32(n)
	return s, nil
}

// BoolPtr returns a pointer to b, for ForwardOptions.Deterministic.
func BoolPtr(b bool) *bool { return &b }

// ForwardOptions tune a forward pass.
type ForwardOptions struct {
	// Deterministic overrides every dropout layer (true: model.eval(), false: model.train());
	// nil leaves each layer its own attribute.
	Deterministic *bool
	// Npy sends x as a .npy body and reads y as .npy (no float text either way).
	Npy bool
}

// Forward is POST /v1/sessions/{name}/forward: the model's output for x (float32, or int32
// indices for a model that starts with embed). opt may be nil.
func (c *Client) Forward(ctx context.Context, name string, x *Tensor, opt *ForwardOptions) (*Tensor, error) {
	if opt == nil {
		opt = &ForwardOptions{}
	}
	path := sessionPath(name, "forward")
	if opt.Npy {
		npy, err := EncodeNpy(x)
		if err != nil {
			return nil, err
		}
		if opt.Deterministic != nil {
			// with a .npy body, deterministic moves to the query (docs/npy.md)
			path += "?deterministic=" + strconv.FormatBool(*opt.Deterministic)
		}
		rep, err := c.do(ctx, request{method: "POST", path: path, npy: npy, accept: NpyMediaType})
		if err != nil {
			return nil, err
		}
		return npyReply(rep)
	}
	body := map[string]interface{}{"x": x}
	if opt.Deterministic != nil {
		body["deterministic"] = *opt.Deterministic
	}
	var out struct {
		Y *Tensor `json:"y"`
	}
	if err := c.call(ctx, "POST", path, body, &out); err != nil {
		return nil, err
	}
	if out.Y == nil {
		return nil, fmt.Errorf("keyfold: forward reply without y")
	}
	return out.Y, nil
}

// ReseedOptions are reseed's optional members: Target "all" (default), "model" or "rngs";
// Policy "scalars_only" or "match_shape" (Flax 0.11+ sessions only).
type ReseedOptions struct {
	Target string
	Policy string
}

// Reseed is POST /v1/sessions/{name}/reseed: nnx.reseed with the given streams. Returns the
// session after it. opt may be nil.
func (c *Client) Reseed(ctx context.Context, name string, streams map[string]SeedOrKey, opt *ReseedOptions) (*Session, error) {
	body := map[string]interface{}{"streams": streams}
	if opt != nil && opt.Target != "" {
		body["target"] = opt.Target
	}
	if opt != nil && opt.Policy != "" {
		body["policy"] = opt.Policy
	}
	return c.session(ctx, "POST", sessionPath(name, "reseed"), body)
}

// ForkSpec is the body of a fork: the child's name, the parent's streams to fork (nil: every
// one), an optional model built from the child's streams and options (default: the parent's).
type ForkSpec struct {
	Child   string
	Streams []string
	Model   []Layer
	Options Options
}

// Fork is POST /v1/sessions/{name}/fork: Rngs.fork() as a new session. Each child key is
// fold_in(parent key, parent count) and each forked parent stream moves on by one. Returns the
// child.
func (c *Client) Fork(ctx context.Context, name string, spec ForkSpec) (*Session, error) {
	body := SessionSpec{Name: spec.Child, Model: spec.Model, Options: spec.Options}.body()
	if spec.Streams != nil {
		body["streams"] = spec.Streams
	}
	return c.session(ctx, "POST", sessionPath(name, "fork"), body)
}

// Params is GET /v1/sessions/{name}/params: one map per layer (empty for layers without
// parameters; "kernel" and "bias" for linear, "embedding" for embed).
func (c *Client) Params(ctx context.Context, name string) ([]map[string]*Tensor, error) {
	var out struct {
		Params []map[string]*Tensor `json:"params"`
	}
	if err := c.call(ctx, "GET", sessionPath(name, "params"), nil, &out); err != nil {
		return nil, err
	}
	return out.Params, nil
}
